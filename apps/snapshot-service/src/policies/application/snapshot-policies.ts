import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { CreateSnapshotPolicyData, DeleteSnapshotPolicyData, Envelope, Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { fold, isDomainError, uuidFromName } from '@strata/kernel';
import { runsBeyondRetention, type RetainedRun } from '@strata/scheduling';
import { AggregateRunner, Clock, type CommandMeta, commandMeta, intervalSetting, Periodic, TOPICS } from '@strata/service-kit';
import { DataSource } from 'typeorm';
import { CONSUMER_GROUP, SCHEMA } from '../../snapshot.constants';
import { CreateSnapshotHandler, DeleteSnapshotHandler } from '../../snapshots/application/snapshot.handlers';
import { snapshotDecider, snapshotStreamId, type SnapshotEvent } from '../../snapshots/domain/snapshot';
import { StorageViewStore } from '../../storage-view/infrastructure/storage-view.store';
import { policyDecider, policyStreamId, POLICY_STREAM_PREFIX, type PolicyCommand, type PolicyState } from '../domain/policy';


/** How often the scheduler looks for due runs; a run is taken within this much of its due time. */
const TICK_MS = intervalSetting('STRATA_POLICY_TICK_MS', 30_000, 100);

/** Snapshot states that still count against a policy's retention (made, or being made). */
const KEPT = new Set(['creating', 'ready', 'reverting']);

type ActivePolicy = Exclude<PolicyState, { status: 'absent' }> & { readonly status: 'active' };

/** An in-process command: the snapshot handlers take the same envelopes the intake gives them. */
function internalCommand<T extends string, D>(
  type: T,
  aggregateId: string,
  messageId: string,
  data: D,
  correlationId: string,
  tenant: string | null,
): Envelope<T, D> {
  return {
    messageId,
    kind: 'command',
    type,
    schemaVersion: 1,
    aggregateId,
    streamVersion: null,
    occurredAt: new Date().toISOString(),
    correlationId,
    causationId: null,
    tenant,
    data,
  } as Envelope<T, D>;
}

/**
 * Snapshot policies: the commands that create and delete them, and the scheduler. Each tick
 * (and once at start, which is how runs missed while the service was down are caught up,
 * once) asks every policy for its due run; a run is recorded on the policy
 * (SnapshotPolicyRunTaken, the snapshot id derived from policy and due time) before the
 * snapshot is asked for, and a run whose snapshot does not exist yet is asked for again on
 * the next tick, so a crash between the two neither loses nor doubles it. Then the policy's
 * snapshots beyond its retention are deleted, oldest first by due time.
 */
@Injectable()
export class SnapshotPolicies implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(SnapshotPolicies.name);
  private readonly periodic = new Periodic(TICK_MS, () => this.sweep());

  constructor(
    private readonly runner: AggregateRunner,
    private readonly store: PgEventStore,
    private readonly dataSource: DataSource,
    private readonly view: StorageViewStore,
    private readonly clock: Clock,
    private readonly createSnapshot: CreateSnapshotHandler,
    private readonly deleteSnapshot: DeleteSnapshotHandler,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  onApplicationBootstrap(): void {
    void this.periodic.runNow();
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  async create(command: Envelope<'CreateSnapshotPolicy', CreateSnapshotPolicyData>): Promise<void> {
    const volume = await this.view.volume(command.data.volumeId);
    await this.record(
      command.aggregateId,
      {
        type: 'CreateSnapshotPolicy',
        policyId: command.aggregateId,
        volumeId: command.data.volumeId,
        schedule: command.data.schedule,
        retention: command.data.retention,
        now: this.clock.now(),
        volumeStatus: volume?.status ?? null,
      },
      commandMeta(command),
      command.messageId,
    );
  }

  async delete(command: Envelope<'DeleteSnapshotPolicy', DeleteSnapshotPolicyData>): Promise<void> {
    await this.record(command.aggregateId, { type: 'DeleteSnapshotPolicy', policyId: command.aggregateId }, commandMeta(command), command.messageId);
  }

  /** One pass now (or joins the pass under way, so passes never overlap). Returns the runs it asked for. */
  tick(): Promise<number> {
    return this.periodic.runNow() as Promise<number>;
  }

  /** One pass over every policy; one policy's trouble does not stop the others. */
  private async sweep(): Promise<number> {
    let asked = 0;
    for (const streamId of await this.store.streamIds(POLICY_STREAM_PREFIX)) {
      const policyId = streamId.slice(POLICY_STREAM_PREFIX.length);
      try {
        asked += await this.runPolicy(policyId);
      } catch (error) {
        this.log.error(`snapshot policy ${policyId}: ${(error as Error).message}`);
      }
    }
    return asked;
  }

  private async runPolicy(policyId: string): Promise<number> {
    const meta: CommandMeta = { causationId: `policy:${policyId}`, correlationId: policyId, tenant: null };
    const { state } = await this.runner.execute(policyDecider, policyStreamId(policyId), policyId, (): PolicyCommand => ({ type: 'TakeDueRun', now: this.clock.now() }), meta, {
      outboxTopic: this.topics.snapshotEvents,
    });
    if (state.status !== 'active') return 0;
    const policy = state as ActivePolicy;
    const volume = await this.view.volume(policy.volumeId);
    // Not in the view yet (it lags the storage events): next tick.
    if (!volume) return 0;
    if (volume.status === 'deleted') {
      // Its volume is gone: the policy ends with it (the snapshots went with the volume, or stay for an operator).
      await this.record(policyId, { type: 'DeleteSnapshotPolicy', policyId }, meta);
      this.log.log(`snapshot policy ${policyId} ended: volume ${policy.volumeId} is deleted`);
      return 0;
    }
    // Its runs belong to whoever the policy belongs to (the volume's tenant), so they see them.
    const [created] = await this.store.readStream(policyStreamId(policyId));
    const tenant = created?.envelope.tenant ?? null;
    const asked = await this.ensureLastRun(policy, tenant);
    await this.applyRetention(policy, tenant);
    return asked;
  }

  /** Asks for the newest run's snapshot unless it exists (a crash may have come between the run and the ask). */
  private async ensureLastRun(policy: ActivePolicy, tenant: string | null): Promise<number> {
    const snapshotId = policy.lastSnapshotId;
    const dueAt = policy.lastRunDueAt;
    if (snapshotId === null || dueAt === null) return 0;
    if ((await this.store.readStream(snapshotStreamId(snapshotId))).length > 0) return 0;
    const name = `${policy.schedule.kind}-${dueAt.replace(/:\d\d\.\d+Z$/, 'Z').replace(/:/g, '-')}`;
    const command = internalCommand('CreateSnapshot', snapshotId, uuidFromName(`policy-run:${snapshotId}`), { volumeId: policy.volumeId, name }, policy.policyId, tenant);
    try {
      await this.createSnapshot.handle(command, { policyId: policy.policyId, dueAt });
      this.log.log(`snapshot policy ${policy.policyId}: took the run due ${dueAt} (snapshot ${snapshotId})`);
      return 1;
    } catch (error) {
      // Refused (volume busy, tree full): logged, and asked again next tick until the next run replaces it.
      if (!isDomainError(error)) throw error;
      this.log.warn(`snapshot policy ${policy.policyId}: the run due ${dueAt} was refused: ${error.code}: ${error.message}`);
      return 0;
    }
  }

  private async applyRetention(policy: ActivePolicy, tenant: string | null): Promise<void> {
    const kept = await this.snapshotsOf(policy.policyId);
    for (const snapshotId of runsBeyondRetention(kept, policy.policyId, policy.retention)) {
      const command = internalCommand('DeleteSnapshot', snapshotId, uuidFromName(`policy-retention:${snapshotId}`), {}, policy.policyId, tenant);
      try {
        await this.deleteSnapshot.handle(command);
        this.log.log(`snapshot policy ${policy.policyId}: deleted snapshot ${snapshotId}, beyond its retention of ${policy.retention}`);
      } catch (error) {
        if (!isDomainError(error)) throw error;
        this.log.warn(`snapshot policy ${policy.policyId}: snapshot ${snapshotId} not deleted: ${error.message}`);
      }
    }
  }

  /** The policy's snapshots that still count (made or being made), from the log. */
  private async snapshotsOf(policyId: string): Promise<RetainedRun[]> {
    const rows: { stream_id: string; type: string; data: unknown; recorded_at: Date }[] = await this.dataSource.query(
      `SELECT e.stream_id, e.type, e.data, e.recorded_at FROM "${SCHEMA}".events e
        WHERE e.stream_id IN (SELECT r.stream_id FROM "${SCHEMA}".events r WHERE r.type = 'SnapshotRequested' AND r.data->>'policyId' = $1)
        ORDER BY e.stream_id, e.stream_version`,
      [policyId],
    );
    const streams = new Map<string, { events: SnapshotEvent[]; takenAt: string; dueAt: string | null }>();
    for (const row of rows) {
      const entry = streams.get(row.stream_id) ?? { events: [], takenAt: new Date(row.recorded_at).toISOString(), dueAt: null };
      entry.events.push({ type: row.type, data: row.data } as SnapshotEvent);
      if (row.type === 'SnapshotRequested') entry.dueAt = (row.data as { dueAt: string | null }).dueAt;
      streams.set(row.stream_id, entry);
    }
    const out: RetainedRun[] = [];
    for (const { events, takenAt, dueAt } of streams.values()) {
      const state = fold(snapshotDecider, events);
      if (state.status === 'absent' || !KEPT.has(state.status)) continue;
      out.push({ id: state.snapshotId, scheduleId: policyId, takenAt, dueAt });
    }
    return out;
  }

  private async record(policyId: string, command: PolicyCommand, meta: CommandMeta, inboxMessageId?: string): Promise<void> {
    await this.runner.execute(policyDecider, policyStreamId(policyId), policyId, () => command, meta, {
      outboxTopic: this.topics.snapshotEvents,
      ...(inboxMessageId ? { inbox: { consumer: CONSUMER_GROUP, messageId: inboxMessageId } } : {}),
    });
  }
}
