import type { JobRow } from '../../read-model/domain/rows';
import type { DeploymentJobChange, DeploymentPlan } from './deployment';

/** The job type a deployment's job shows: not a command of any service, the saga's own. */
export const DEPLOYMENT_JOB_TYPE = 'DeployTemplateVolume';

/** The REST call's job as the saga starts it. */
export function deploymentJob(plan: DeploymentPlan, at: Date): JobRow {
  return {
    id: plan.jobId,
    commandType: DEPLOYMENT_JOB_TYPE,
    aggregateId: plan.volumeId,
    tenant: plan.tenant,
    status: 'accepted',
    result: null,
    error: null,
    progress: 0,
    createdAt: at,
    updatedAt: at,
  };
}

/** The job after a saga step; a finished job stays as it is (a step cannot be decided twice, this is the guard). */
export function applyJobChange(job: JobRow, change: DeploymentJobChange, at: Date): JobRow {
  if (job.status === 'succeeded' || job.status === 'failed') return job;
  return {
    ...job,
    status: change.status,
    progress: change.progress,
    result: change.result ? { ...change.result } : job.result,
    error: change.error ? { code: change.error.code, category: change.error.category, message: change.error.message, violations: [], details: { ...change.error.details } } : job.error,
    updatedAt: at,
  };
}
