import { decodeMessage } from '../validation';
import { validateStorageCommand } from './validate';

const envelope = (over: Record<string, unknown> = {}, data: Record<string, unknown> = {}) => ({
  messageId: 'd7c9b0f4-36a1-4b0c-9f5e-2a3c4d5e6f70',
  kind: 'command' as const,
  type: 'CreateVolume',
  schemaVersion: 1,
  aggregateId: '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11',
  streamVersion: null,
  occurredAt: '2026-11-21T06:00:00.000Z',
  correlationId: 'corr-1',
  causationId: null,
  tenant: 'acme',
  data: { name: 'data-1', poolId: '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66', sizeBytes: 1048576, ...data },
  ...over,
});

describe('storage command validation', () => {
  it('accepts a valid CreateVolume', () => {
    const result = validateStorageCommand(envelope());
    expect(result.ok).toBe(true);
  });

  it('accepts a DeleteVolume, whose data is empty, and refuses data it does not take', () => {
    expect(validateStorageCommand(envelope({ type: 'DeleteVolume', data: {} })).ok).toBe(true);
    const result = validateStorageCommand(envelope({ type: 'DeleteVolume', data: { force: true } }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.violations).toContainEqual(expect.objectContaining({ field: 'data.force' }));
  });

  it('names each bad field and the rule it broke', () => {
    const result = validateStorageCommand(envelope({}, { sizeBytes: -1, poolId: 'nope', name: '' }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const rules = result.violations.map((v) => `${v.field}:${v.rule}`);
    expect(rules).toEqual(expect.arrayContaining(['data.sizeBytes:min', 'data.poolId:isUuid', 'data.name:isNotEmpty']));
    expect(result.violations.find((v) => v.field === 'data.sizeBytes')?.message).toMatch(/sizeBytes/);
  });

  it('refuses unknown fields rather than ignoring them', () => {
    const result = validateStorageCommand(envelope({}, { sizeGb: 10 }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.violations).toContainEqual(expect.objectContaining({ field: 'data.sizeGb', rule: 'whitelistValidation' }));
  });

  it('refuses an unknown command type, listing the known ones', () => {
    const result = validateStorageCommand(envelope({ type: 'FormatDisk' }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.violations[0]).toMatchObject({ field: 'type', rule: 'isIn' });
    if (!result.ok) expect(result.violations[0].message).toMatch(/CreateVolume/);
  });

  it('refuses an array as data, naming the field', () => {
    const result = validateStorageCommand(envelope({ data: [1, 2] }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.violations).toContainEqual(expect.objectContaining({ field: 'data', rule: 'isObject' }));
  });

  it('checks the envelope too', () => {
    const result = validateStorageCommand(envelope({ aggregateId: 'x', occurredAt: 'yesterday' }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.violations.map((v) => v.field)).toEqual(expect.arrayContaining(['aggregateId', 'occurredAt']));
    }
  });

  describe('AddStoragePool', () => {
    const pool = (data: Record<string, unknown>) =>
      validateStorageCommand(envelope({ type: 'AddStoragePool', data: { name: 'p1', plugin: 'powerflex', zoneId: 'z1', ...data } }));

    it('takes the settings as config or as a pool URL', () => {
      expect(pool({ config: { path: '/srv/p1' } }).ok).toBe(true);
      expect(pool({ url: 'powerflex://admin:secret@gw.example/pool1' }).ok).toBe(true);
    });
    it('refuses both, or neither, naming the fields', () => {
      const both = pool({ config: {}, url: 'x://y' });
      expect(both.ok).toBe(false);
      if (!both.ok) expect(both.violations).toContainEqual(expect.objectContaining({ field: 'data.url', rule: 'configOrUrl' }));
      const neither = pool({});
      expect(neither.ok).toBe(false);
      if (!neither.ok) expect(neither.violations.map((v) => v.field)).toEqual(expect.arrayContaining(['data.config', 'data.url']));
    });
    it('refuses a plugin name that cannot be one', () => {
      const bad = pool({ plugin: 'Power Flex!', config: {} });
      expect(bad.ok).toBe(false);
      if (!bad.ok) expect(bad.violations).toContainEqual(expect.objectContaining({ field: 'data.plugin', rule: 'matches' }));
    });
  });
});

describe('decodeMessage', () => {
  it('refuses bytes that are not JSON, saying so', () => {
    const result = decodeMessage(Buffer.from('{not json'));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/not valid JSON/) });
  });
  it('refuses JSON without a message id, because nobody could be answered', () => {
    expect(decodeMessage(Buffer.from('{"type":"CreateVolume"}'))).toMatchObject({ ok: false, reason: expect.stringMatching(/messageId/) });
  });
  it('refuses an empty value', () => {
    expect(decodeMessage(null)).toMatchObject({ ok: false });
  });
  it('decodes an envelope', () => {
    const result = decodeMessage(Buffer.from(JSON.stringify(envelope())));
    expect(result.ok).toBe(true);
  });
});

describe('aggregate ids', () => {
  it('takes a name-derived (version 5) UUID as the aggregate, but still refuses what is no UUID', () => {
    expect(validateStorageCommand(envelope({ aggregateId: '1ae9dfbd-f8d7-5fbf-bd48-a6a405b23603', type: 'DeleteVolume', data: {} })).ok).toBe(true);
    const bad = validateStorageCommand(envelope({ aggregateId: 'volume-1', type: 'DeleteVolume', data: {} }));
    expect(bad.ok).toBe(false);
  });
});

describe('a volume made from a snapshot', () => {
  it('needs neither poolId nor zoneId (it is made on the snapshot pool), and checks the source ids', () => {
    const fromSnapshot = { snapshotId: '1ae9dfbd-f8d7-5fbf-bd48-a6a405b23603', volumeId: '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11' };
    expect(validateStorageCommand(envelope({ data: { name: 'c1', sizeBytes: 1048576, fromSnapshot } })).ok).toBe(true);
    const bad = validateStorageCommand(envelope({ data: { name: 'c1', sizeBytes: 1048576, fromSnapshot: { snapshotId: 'x', volumeId: 'y' } } }));
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.violations.map((v) => v.field)).toEqual(expect.arrayContaining(['data.fromSnapshot.snapshotId', 'data.fromSnapshot.volumeId']));
    // Without a source, one of the two is still required.
    expect(validateStorageCommand(envelope({ data: { name: 'c1', sizeBytes: 1048576 } })).ok).toBe(false);
  });
});
