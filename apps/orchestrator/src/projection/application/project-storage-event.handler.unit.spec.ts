import { randomUUID } from 'node:crypto';
import type { PgEventStore } from '@strata/event-store';
import type { EntityManager } from 'typeorm';
import type { DeploymentProcess } from '../../deployments/application/deployment-process';
import { projectedBeforeConsumer, PROJECTION_CONSUMER, type GenerationState } from '../domain/generation';
import { readEvent, type ReceivedEvent } from '../domain/storage-event';
import type { GenerationStore } from '../infrastructure/generation.store';
import type { ReadModelStore } from '../infrastructure/read-model.store';
import { ProjectStorageEventHandler, StaleGenerationError } from './project-storage-event.handler';

describe('ProjectStorageEventHandler: generations and saga reactions', () => {
  const event = (): ReceivedEvent => {
    const volumeId = randomUUID();
    const read = readEvent({
      messageId: randomUUID(),
      kind: 'event',
      type: 'VolumeCreated',
      schemaVersion: 1,
      aggregateId: volumeId,
      streamVersion: 2,
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: null,
      tenant: null,
      data: { volumeId, poolId: randomUUID(), sizeBytes: 1024, backendName: 'b', path: null },
    });
    if (!read.ok) throw new Error(read.reason);
    return read.event;
  };

  function setUp(state: Partial<GenerationState>, claimed: readonly string[] = []) {
    const m = {} as EntityManager;
    const inbox = new Set(claimed);
    const reacted: string[] = [];
    const store = {
      transaction: async <T>(work: (m: EntityManager) => Promise<T>) => work(m),
      claim: async (_m: EntityManager, consumer: string, id: string) => !inbox.has(`${consumer}/${id}`) && !!inbox.add(`${consumer}/${id}`),
      isHandled: async (consumer: string, id: string) => inbox.has(`${consumer}/${id}`),
    } as unknown as PgEventStore;
    const readModels = { load: async () => ({ pool: null, poolUsage: { allocatedBytes: 0, volumeCount: 0 }, volume: null, host: null, drift: null, job: null }), save: async () => undefined } as unknown as ReadModelStore;
    const deployments = { react: async (_m: EntityManager, e: ReceivedEvent) => (reacted.push(e.envelope.messageId), false), kick: () => undefined } as unknown as DeploymentProcess;
    const full: GenerationState = { generation: 0, state: 'live', jobId: null, startedAt: null, finishedAt: null, endOffsets: {}, eventsToReplay: 0, eventsReplayed: 0, ...state };
    const generations = { fenceShared: async () => full } as unknown as GenerationStore;
    return { handler: new ProjectStorageEventHandler(store, readModels, deployments, generations), reacted, inbox };
  }

  it('refuses a consumer of a generation a rebuild replaced, projecting nothing', async () => {
    const { handler, reacted, inbox } = setUp({ generation: 2, state: 'rebuilding' });
    await expect(handler.handle(event(), 1)).rejects.toBeInstanceOf(StaleGenerationError);
    expect(reacted).toEqual([]);
    expect(inbox.size).toBe(0);
  });

  it('during a rebuild, does not let the sagas react to what the replaced generation projected', async () => {
    const seen = event();
    const fresh = event();
    const { handler, reacted } = setUp({ generation: 2, state: 'rebuilding' }, [`${projectedBeforeConsumer(2)}/${seen.envelope.messageId}`]);
    expect(await handler.handle(seen, 2)).toBe(true);
    expect(await handler.handle(fresh, 2)).toBe(true);
    expect(reacted).toEqual([fresh.envelope.messageId]);
  });

  it('when live, every first projection reaches the sagas; a redelivery does not', async () => {
    const e = event();
    const { handler, reacted, inbox } = setUp({ generation: 2, state: 'live' }, [`${projectedBeforeConsumer(2)}/${e.envelope.messageId}`]);
    expect(await handler.handle(e, 2)).toBe(true);
    expect(await handler.handle(e, 2)).toBe(false);
    expect(reacted).toEqual([e.envelope.messageId]);
    expect(inbox.has(`${PROJECTION_CONSUMER}/${e.envelope.messageId}`)).toBe(true);
  });
});
