import { Injectable } from '@nestjs/common';
import { IdGenerator } from '@strata/service-kit';
import { CommandSubmitter } from '../../commands/application/command-submitter';
import { snapshotPolicyAlreadyDeleted, volumeAlreadyDeleted } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import { withVolumeOfPath } from '../../snapshots/domain/snapshot-request';
import { VolumeLookup } from '../../volumes/application/volume-lookup';
import { SnapshotPolicyLookup } from './snapshot-policy-lookup';

export interface SnapshotPolicyCommandAccepted {
  readonly jobId: string;
  readonly policyId: string;
}

/**
 * The snapshot policy commands (to the snapshot service, through the same submitter and
 * outbox as every command). The volume or policy must be visible to the caller (404, a
 * tenant sees only its own) and not deleted (409); the body must pass the command's rules
 * (`retention` 1-1000, `schedule` an object). The schedule's own rules are the snapshot
 * service's: a schedule it refuses fails the job with policy.invalid_schedule, each broken
 * rule named (data.schedule.<field>).
 */
@Injectable()
export class SnapshotPolicyCommandsHandler {
  constructor(
    private readonly commands: CommandSubmitter,
    private readonly volumes: VolumeLookup,
    private readonly policies: SnapshotPolicyLookup,
    private readonly ids: IdGenerator,
  ) {}

  /**
   * POST /volumes/{id}/snapshot-policies: a new policy id, the volume from the path. The
   * policy belongs to the volume's owner, also when an operator creates it.
   */
  async create(volumeId: string, body: unknown, context: RequestContext): Promise<SnapshotPolicyCommandAccepted> {
    const volume = await this.volumes.visible(volumeId, context);
    if (volume.status === 'deleted') throw volumeAlreadyDeleted(volumeId);
    const policyId = this.ids.newId();
    const { data, violations } = withVolumeOfPath(body, volumeId);
    const jobId = await this.commands.submit('CreateSnapshotPolicy', policyId, data, { ...context, tenant: volume.tenant }, violations);
    return { jobId, policyId };
  }

  /**
   * DELETE /snapshot-policies/{id}: stops the policy; its snapshots stay. A body sent with
   * it is ignored. The command carries the policy's owner, as the creation did.
   */
  async delete(policyId: string, context: RequestContext): Promise<SnapshotPolicyCommandAccepted> {
    const policy = await this.policies.visible(policyId, context);
    if (policy.status === 'deleted') throw snapshotPolicyAlreadyDeleted(policyId);
    const jobId = await this.commands.submit('DeleteSnapshotPolicy', policyId, {}, { ...context, tenant: policy.tenant });
    return { jobId, policyId };
  }
}
