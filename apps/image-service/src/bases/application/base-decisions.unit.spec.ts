import { randomUUID } from 'node:crypto';
import { templateBaseId, validateSnapshotCommand, validateStorageCommand } from '@strata/contracts';
import { fold } from '@strata/kernel';
import { commandsFor, templateBaseDecider, type TemplateBaseCommand, type TemplateBaseEvent } from '../domain/template-base';
import { outgoingEnvelope } from './base-decisions';

/** The commands the bases send must pass the receiving services' own validation, or they would only be rejected there. */
describe('commands sent by the bases', () => {
  const templateId = randomUUID();
  const poolId = randomUUID();
  const baseId = templateBaseId(templateId, poolId);
  const meta = { causationId: randomUUID(), correlationId: randomUUID(), tenant: null };
  const spool: TemplateBaseCommand = {
    type: 'SpoolTemplate',
    baseId,
    templateId,
    poolId,
    template: { templateId, status: 'ready', kind: 'template', copyInZone: { path: '/store/t.qcow2', format: 'qcow2', virtualSizeBytes: 2 ** 30 } },
    pool: { poolId, zoneId: 'z1', deleted: false },
  };

  it('CreateVolume fromImage, CreateSnapshot and DeleteVolume are valid envelopes for their services', () => {
    const history: TemplateBaseEvent[] = [];
    const step = (command: TemplateBaseCommand) => {
      const before = fold(templateBaseDecider, history);
      const events = templateBaseDecider.decide(command, before);
      const out = events.flatMap((e) => commandsFor(before, e, command));
      history.push(...events);
      return out.map((o) => ({ route: o.route, envelope: outgoingEnvelope(o, meta, new Date()) }));
    };
    const [create] = step(spool);
    const [snapshot] = step({ type: 'RecordVolumeCreated', volumeId: create.envelope.aggregateId });
    step({ type: 'RecordSnapshotCreated', snapshotId: snapshot.envelope.aggregateId });
    const [retire] = step({ type: 'RetireBase', baseId });
    expect(validateStorageCommand(create.envelope)).toMatchObject({ ok: true, command: { data: { fromImage: { path: '/store/t.qcow2' } } } });
    expect(validateSnapshotCommand(snapshot.envelope)).toMatchObject({ ok: true });
    expect(validateStorageCommand(retire.envelope)).toMatchObject({ ok: true, command: { type: 'DeleteVolume', data: { deleteSnapshots: true } } });
    expect([create.route, snapshot.route, retire.route]).toEqual(['storage', 'snapshot', 'storage']);
  });
});
