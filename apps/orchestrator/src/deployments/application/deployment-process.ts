import { Inject, Injectable } from '@nestjs/common';
import { ENVELOPE_SCHEMA_VERSION, type Topics } from '@strata/contracts';
import { OutboxRelay, PgEventStore } from '@strata/event-store';
import { fold } from '@strata/kernel';
import { AggregateRunner, Clock, crashPoint, IdGenerator, TOPICS } from '@strata/service-kit';
import type { EntityManager } from 'typeorm';
import { buildCommandEnvelope } from '../../commands/domain/command-request';
import type { ReceivedEvent } from '../../projection/domain/storage-event';
import { DeploymentEntity } from '../../read-model/infrastructure/deployment.entity';
import type { JobRow } from '../../read-model/domain/rows';
import { JobEntity } from '../../read-model/infrastructure/job.entity';
import {
  awaitedCommandId,
  deploymentDecider,
  deploymentEffects,
  deploymentStreamId,
  type DeploymentCommand,
  type DeploymentEvent,
  type DeploymentPlan,
  type DeploymentState,
} from '../domain/deployment';
import { applyJobChange, deploymentJob } from '../domain/deployment-job';
import { lookupOf, signalOf } from '../domain/deployment-signal';

/** The crash point after the commit that queued each step's command (in a reaction). */
const STEP_CRASH_POINTS: Readonly<Record<string, string>> = {
  CreateVolume: 'deploy.after-clone-requested',
  DeleteVolume: 'deploy.after-compensation-requested',
};

/**
 * Runs the deploy-ROOT sagas (see the README beside this folder). A saga starts in one
 * transaction with its job, its index row and its first command; it moves on inside the
 * projection's transaction of the event it waits for, so an event is projected and acted on
 * exactly once, and a crash leaves either both or neither.
 */
@Injectable()
export class DeploymentProcess {
  constructor(
    private readonly store: PgEventStore,
    private readonly runner: AggregateRunner,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  /**
   * Crash points of the steps queued by reactions whose transaction the caller commits; they
   * fire in kick(), right after that commit (test-only: see docs/sagas.md).
   */
  private readonly queuedSteps: string[] = [];

  /** Records the saga's start, its job (running) and its SpoolTemplate together. */
  async start(plan: DeploymentPlan): Promise<void> {
    const at = this.clock.now();
    const initial = deploymentDecider.initialState();
    const started = deploymentDecider.decide({ type: 'Start', plan }, initial);
    await this.runner.execute(
      deploymentDecider,
      deploymentStreamId(plan.volumeId),
      plan.volumeId,
      (): DeploymentCommand => ({ type: 'Start', plan }),
      { causationId: plan.jobId, correlationId: plan.correlationId, tenant: plan.tenant },
      {
        alsoWrite: async (m) => {
          let job = deploymentJob(plan, at);
          let state = initial;
          for (const event of started) {
            state = deploymentDecider.evolve(state, event);
            const effects = deploymentEffects(state, event);
            if (effects.command) await this.send(m, state, effects.command);
            if (effects.job) job = applyJobChange(job, effects.job, at);
          }
          await m.getRepository(JobEntity).insert(job as never);
          await m.getRepository(DeploymentEntity).insert({
            volumeId: plan.volumeId,
            templateId: plan.templateId,
            poolId: plan.poolId,
            baseId: plan.baseId,
            jobId: plan.jobId,
            status: state.status,
            awaitingCommandId: awaitedCommandId(state),
            createdAt: at,
            updatedAt: at,
          });
        },
      },
    );
    // Committed: the SpoolTemplate waits in the outbox, nothing answered yet.
    crashPoint('deploy.after-spool-requested');
  }

  /**
   * Moves every saga waiting on this event, inside the caller's (the projection's) transaction.
   * Returns whether any saga moved (the caller then kicks the relay after its commit).
   */
  async react(m: EntityManager, event: ReceivedEvent): Promise<boolean> {
    const signal = signalOf(event);
    if (!signal) return false;
    const lookup = lookupOf(signal);
    const q = m.getRepository(DeploymentEntity).createQueryBuilder('d').setLock('pessimistic_write');
    if ('baseId' in lookup) q.where(`d.baseId = :baseId AND d.status = 'spooling'`, { baseId: lookup.baseId });
    else if ('volumeId' in lookup) q.where('d.volumeId = :volumeId', { volumeId: lookup.volumeId });
    else q.where('d.awaitingCommandId = :commandId', { commandId: lookup.awaitingCommandId });
    // One lock order (volume id) when one base's answer wakes several sagas.
    const sagas = await q.orderBy('d.volumeId', 'ASC').getMany();
    let moved = false;
    for (const saga of sagas) {
      const streamId = deploymentStreamId(saga.volumeId);
      const stored = await this.store.readStream(streamId, m);
      const state = fold(deploymentDecider, stored.map((s) => ({ type: s.envelope.type, data: s.envelope.data }) as DeploymentEvent));
      const decided = deploymentDecider.decide({ type: 'Observe', signal }, state);
      if (decided.length === 0) continue;
      const version = stored.length ? stored[stored.length - 1].streamVersion : 0;
      await this.record(m, streamId, version, state, decided, event);
      moved = true;
    }
    return moved;
  }

  /** Kicks the relay after a commit that queued saga commands. */
  kick(): void {
    for (const point of this.queuedSteps.splice(0)) crashPoint(point);
    this.relay.kick();
  }

  private async record(m: EntityManager, streamId: string, version: number, before: DeploymentState, decided: readonly DeploymentEvent[], cause: ReceivedEvent): Promise<void> {
    const plan = before.plan!;
    const at = this.clock.now();
    await this.store.append(
      streamId,
      version,
      decided.map((e) => ({
        messageId: this.ids.newId(),
        type: e.type,
        schemaVersion: ENVELOPE_SCHEMA_VERSION,
        aggregateId: plan.volumeId,
        occurredAt: at.toISOString(),
        correlationId: plan.correlationId,
        // The event the saga reacted to.
        causationId: cause.envelope.messageId,
        tenant: plan.tenant,
        data: e.data,
      })),
      {},
      m,
    );
    const jobs = m.getRepository(JobEntity);
    let job: JobRow | null = await jobs.findOne({ where: { id: plan.jobId }, lock: { mode: 'pessimistic_write' } });
    let state = before;
    for (const event of decided) {
      state = deploymentDecider.evolve(state, event);
      const effects = deploymentEffects(state, event);
      if (effects.command) {
        await this.send(m, state, effects.command);
        // Kept only when crash points are armed: a transaction that never commits would leave its entry behind.
        if (process.env.STRATA_CRASH_POINTS && STEP_CRASH_POINTS[effects.command.type]) this.queuedSteps.push(STEP_CRASH_POINTS[effects.command.type]);
      }
      if (effects.job && job) job = applyJobChange(job, effects.job, at);
    }
    if (job) {
      const { id, ...columns } = job;
      await jobs.update({ id }, columns as never);
    }
    await m.getRepository(DeploymentEntity).update({ volumeId: plan.volumeId }, { status: state.status, awaitingCommandId: awaitedCommandId(state), updatedAt: at });
  }

  /** Queues one of the saga's commands through the outbox, in the caller's transaction. */
  private async send(m: EntityManager, state: DeploymentState, command: NonNullable<ReturnType<typeof deploymentEffects>['command']>): Promise<void> {
    const plan = state.plan!;
    const envelope = buildCommandEnvelope({
      type: command.type,
      commandId: command.messageId,
      aggregateId: command.aggregateId,
      occurredAt: this.clock.now(),
      tenant: plan.tenant,
      correlationId: plan.correlationId,
      data: command.data,
    });
    await this.store.enqueue(m, { topic: this.topics[command.topic], key: command.aggregateId, payload: envelope });
  }
}
