import { randomUUID } from 'node:crypto';
import { readEvent } from '../../projection/domain/storage-event';
import { lookupOf, signalOf } from './deployment-signal';

function received(type: string, aggregateId: string, data: Record<string, unknown>, causationId: string | null = null) {
  const read = readEvent({
    messageId: randomUUID(),
    kind: 'event',
    type,
    schemaVersion: 1,
    aggregateId,
    streamVersion: type === 'CommandRejected' ? null : 1,
    occurredAt: '2026-11-21T10:00:00.000Z',
    correlationId: 'c',
    causationId,
    tenant: null,
    data,
  });
  if (!read.ok) throw new Error(read.reason);
  return read.event;
}

const BASE = randomUUID();
const VOLUME = randomUUID();
const error = { code: 'x.y', category: 'terminal', message: 'm' };

describe('deploy saga signals', () => {
  it('reads the events a saga waits on, and says which sagas to wake', () => {
    const base = { baseId: BASE, templateId: randomUUID(), poolId: randomUUID() };
    const spooled = signalOf(received('TemplateSpooled', BASE, { ...base, volumeId: VOLUME, snapshotId: VOLUME, sizeBytes: 1 }, 'cmd-1'));
    expect(spooled).toEqual({ type: 'TemplateSpooled', baseId: BASE, volumeId: VOLUME, snapshotId: VOLUME, causationId: 'cmd-1', occurredAt: '2026-11-21T10:00:00.000Z' });
    expect(lookupOf(spooled!)).toEqual({ baseId: BASE });
    expect(lookupOf(signalOf(received('TemplateSpoolJoined', BASE, base))!)).toEqual({ baseId: BASE });
    expect(lookupOf(signalOf(received('TemplateSpoolFailed', BASE, { ...base, error }))!)).toEqual({ baseId: BASE });
    const poolId = randomUUID();
    for (const [type, data] of [
      ['VolumeCreated', { volumeId: VOLUME, poolId, sizeBytes: 1 }],
      ['VolumeCreationFailed', { volumeId: VOLUME, poolId, error }],
      ['VolumeDeleted', { volumeId: VOLUME, poolId }],
      ['VolumeDeletionFailed', { volumeId: VOLUME, poolId, error }],
    ] as const) {
      expect(lookupOf(signalOf(received(type, VOLUME, data))!)).toEqual({ volumeId: VOLUME });
    }
    const rejected = signalOf(received('CommandRejected', VOLUME, { commandId: 'cmd-9', commandType: 'CreateVolume', error, violations: [] }));
    expect(rejected).toEqual({ type: 'CommandRejected', commandId: 'cmd-9', error });
    expect(lookupOf(rejected!)).toEqual({ awaitingCommandId: 'cmd-9' });
  });

  it('ignores every other event', () => {
    expect(signalOf(received('TemplateDeleted', BASE, { templateId: BASE }))).toBeUndefined();
    expect(signalOf(received('SomethingNew', BASE, {}))).toBeUndefined();
  });
});
