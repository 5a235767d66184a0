export * from './schedule';
export { ScheduleErrors } from './schedule.errors';
export { dueRun, nextDue, runId, RUN_ID_NAMESPACE } from './due-runs';
export { checkRetention, runsBeyondRetention, type RetainedRun } from './retention';
