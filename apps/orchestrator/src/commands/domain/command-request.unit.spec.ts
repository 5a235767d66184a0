import { randomUUID } from 'node:crypto';
import { acceptedJob, buildCommandEnvelope, checkCommand, commandRouteOf, type CommandRequest, type CommandType } from './command-request';

const now = new Date('2026-03-01T12:00:00.000Z');
const poolId = randomUUID();

function request(type: CommandType, data: unknown, over: Partial<CommandRequest> = {}): CommandRequest {
  return { type, commandId: randomUUID(), aggregateId: randomUUID(), occurredAt: now, tenant: null, correlationId: null, data, ...over };
}
const check = (type: CommandType, data: unknown, over: Partial<CommandRequest> = {}) =>
  checkCommand(buildCommandEnvelope(request(type, data, over)));
const violationsOf = (result: ReturnType<typeof check>) => (result.ok ? [] : result.violations.map((v) => [v.field, v.rule]));

describe('REST request to storage command', () => {
  it('builds the envelope any publisher would put on the command topic', () => {
    const r = request('CreateVolume', { name: 'data-1', poolId, sizeBytes: 1024 }, { tenant: 'acme', correlationId: 'corr-7' });
    expect(buildCommandEnvelope(r)).toEqual({
      messageId: r.commandId,
      kind: 'command',
      type: 'CreateVolume',
      schemaVersion: 1,
      aggregateId: r.aggregateId,
      streamVersion: null,
      occurredAt: '2026-03-01T12:00:00.000Z',
      correlationId: 'corr-7',
      causationId: null,
      tenant: 'acme',
      data: { name: 'data-1', poolId, sizeBytes: 1024 },
    });
  });

  it('correlates by the command id when the caller sent no X-Correlation-Id', () => {
    const r = request('DeleteVolume', {});
    expect(buildCommandEnvelope(r).correlationId).toBe(r.commandId);
  });

  it('accepts valid commands of every type', () => {
    expect(check('AddStoragePool', { name: 'fast-01', plugin: 'file', zoneId: 'z1', clusterId: 'c1', tags: ['ssd'], config: { path: '/srv/p' } }).ok).toBe(true);
    expect(check('CreateVolume', { name: 'data-1', poolId, sizeBytes: 2 ** 30, volumeType: 'DATA' }).ok).toBe(true);
    expect(check('DeleteVolume', {}).ok).toBe(true);
    expect(check('UpdateStoragePool', { name: 'fast-02', hypervisors: ['kvm'], capacityIops: 1000, overProvisioningFactor: 2, allocationDisableThreshold: 0.9 }).ok).toBe(true);
    expect(check('EnableStoragePool', {}).ok).toBe(true);
    expect(check('DisableStoragePool', { reason: 'maintenance' }).ok).toBe(true);
    expect(check('DeleteStoragePool', {}).ok).toBe(true);
    expect(check('RefreshPoolCapacity', {}).ok).toBe(true);
  });

  it("takes a new pool's placement settings, each by its rule", () => {
    const pool = { name: 'p', plugin: 'file', zoneId: 'z1', config: { path: '/srv/p' } };
    expect(check('AddStoragePool', { ...pool, hypervisors: ['kvm', 'vmware'], capacityIops: 5000, overProvisioningFactor: 1.25, allocationDisableThreshold: 0.85 }).ok).toBe(true);
    expect(violationsOf(check('AddStoragePool', { ...pool, allocationDisableThreshold: 1.5, overProvisioningFactor: 101, hypervisors: ['hvm'] }))).toEqual(
      expect.arrayContaining([
        ['allocationDisableThreshold', 'max'],
        ['overProvisioningFactor', 'max'],
        ['hypervisors', 'isIn'],
      ]),
    );
  });

  it('keeps the body as sent: the command carries plain JSON', () => {
    const result = check('CreateVolume', { name: 'data-1', poolId, sizeBytes: 5 });
    expect(result.ok && result.command.data).toEqual({ name: 'data-1', poolId, sizeBytes: 5 });
  });

  it('names sizeBytes and the rule min for a negative size, without the data. prefix', () => {
    const result = check('CreateVolume', { name: 'data-1', poolId, sizeBytes: -1 });
    expect(result).toEqual({
      ok: false,
      violations: [{ field: 'sizeBytes', rule: 'min', message: 'sizeBytes must not be less than 1' }],
    });
  });

  it('names every bad field and rule, unknown fields included', () => {
    const result = check('CreateVolume', { name: '-bad', poolId: 'pool-1', sizeBytes: 1.5, colour: 'red' });
    expect(violationsOf(result)).toEqual(
      expect.arrayContaining([
        ['colour', 'whitelistValidation'],
        ['name', 'matches'],
        ['poolId', 'isUuid'],
        ['sizeBytes', 'isInt'],
      ]),
    );
  });

  it('names a missing required field', () => {
    expect(violationsOf(check('CreateVolume', { name: 'data-1', poolId }))).toEqual(expect.arrayContaining([['sizeBytes', 'isInt']]));
  });

  it("checks only the shape of a pool's settings: their content is the plugin's to judge", () => {
    // The command rules no longer know any plugin's config (pools/domain/pool-backend-settings
    // runs the plugin's own schema); they check config-or-url and the plugin name's form.
    expect(check('AddStoragePool', { name: 'p', plugin: 'nfs', zoneId: 'z1', config: { path: 'relative', secret: 'x' } }).ok).toBe(true);
    expect(violationsOf(check('AddStoragePool', { name: 'p', plugin: 'file', zoneId: 'z1', config: 'path=/x' }))).toEqual([['config', 'isObject']]);
    expect(violationsOf(check('AddStoragePool', { name: 'p', plugin: 'file', zoneId: 'z1', config: {}, url: 'x://y' }))).toEqual([['url', 'configOrUrl']]);
    expect(violationsOf(check('AddStoragePool', { name: 'p', plugin: 'Power Flex!', zoneId: 'z1', config: {} }))).toEqual([['plugin', 'matches']]);
  });

  it.each([
    ['no body', undefined],
    ['a string', 'hello'],
    ['an array', [1, 2]],
  ])('refuses %s as the body', (_what, body) => {
    expect(check('AddStoragePool', body)).toEqual({
      ok: false,
      violations: [{ field: 'body', rule: 'isObject', message: 'body must be a JSON object' }],
    });
  });

  it('names the header when X-Tenant is too long', () => {
    const result = check('DeleteVolume', {}, { tenant: 't'.repeat(200) });
    expect(!result.ok && result.violations).toEqual([
      { field: 'X-Tenant', rule: 'maxLength', message: 'X-Tenant must be shorter than or equal to 128 characters' },
    ]);
  });

  it('refuses a body on DELETE-style commands that take none', () => {
    expect(violationsOf(check('DeleteVolume', { force: true }))).toEqual([['force', 'whitelistValidation']]);
  });

  it('starts the job accepted, at the time of the command', () => {
    const result = check('CreateVolume', { name: 'data-1', poolId, sizeBytes: 5 }, { tenant: 'acme' });
    if (!result.ok) throw new Error('expected a valid command');
    expect(acceptedJob(result.command)).toEqual({
      id: result.command.messageId,
      commandType: 'CreateVolume',
      aggregateId: result.command.aggregateId,
      tenant: 'acme',
      status: 'accepted',
      result: null,
      error: null,
      createdAt: now,
      updatedAt: now,
    });
  });
});

describe('REST request to snapshot command', () => {
  const volumeId = randomUUID();

  it('routes the snapshot commands to the snapshot commands topic and every other one to the storage commands topic', () => {
    expect(['CreateSnapshot', 'DeleteSnapshot', 'RevertToSnapshot'].map((t) => commandRouteOf(t as CommandType).topic)).toEqual([
      'snapshotCommands',
      'snapshotCommands',
      'snapshotCommands',
    ]);
    expect(['CreateVolume', 'DeleteVolume', 'AddStoragePool', 'ExportVolume'].map((t) => commandRouteOf(t as CommandType).topic)).toEqual([
      'storageCommands',
      'storageCommands',
      'storageCommands',
      'storageCommands',
    ]);
  });

  it("checks a snapshot command with the snapshot service's rules", () => {
    expect(check('CreateSnapshot', { volumeId, name: 'before-upgrade' }).ok).toBe(true);
    expect(check('DeleteSnapshot', {}).ok).toBe(true);
    expect(check('RevertToSnapshot', {}).ok).toBe(true);
    expect(violationsOf(check('CreateSnapshot', { volumeId: 'vol-1', name: '-bad', colour: 'red' }))).toEqual(
      expect.arrayContaining([
        ['volumeId', 'isUuid'],
        ['name', 'matches'],
        ['colour', 'whitelistValidation'],
      ]),
    );
    expect(violationsOf(check('RevertToSnapshot', { force: true }))).toEqual([['force', 'whitelistValidation']]);
  });

  it('takes deleteSnapshots on DeleteVolume, a boolean', () => {
    expect(check('DeleteVolume', { deleteSnapshots: true }).ok).toBe(true);
    expect(violationsOf(check('DeleteVolume', { deleteSnapshots: 'yes' }))).toEqual([['deleteSnapshots', 'isBoolean']]);
  });

  it('starts a snapshot command\'s job accepted, as any other', () => {
    const result = check('CreateSnapshot', { volumeId, name: 's-1' }, { tenant: 'acme' });
    if (!result.ok) throw new Error('expected a valid command');
    expect(acceptedJob(result.command)).toMatchObject({ commandType: 'CreateSnapshot', aggregateId: result.command.aggregateId, tenant: 'acme', status: 'accepted' });
  });
});

describe('REST request to image command', () => {
  it('routes every image command to the image commands topic, with the image service as their checker', () => {
    const types = ['AddImageStore', 'RemoveImageStore', 'RegisterTemplate', 'UpdateTemplate', 'DeleteTemplate', 'CopyTemplate', 'SpoolTemplate', 'CreateTemplateFromVolume'];
    expect(types.map((t) => commandRouteOf(t as CommandType).topic)).toEqual(types.map(() => 'imageCommands'));
  });

  it("checks an image command with the image service's rules, naming the REST fields", () => {
    expect(check('AddImageStore', { name: 'secondary-1', zoneId: 'z1', path: '/srv/images' }).ok).toBe(true);
    expect(check('RegisterTemplate', { name: 'debian-12', kind: 'template', format: 'qcow2', zoneId: 'z1', url: 'https://images.example/debian.qcow2' }).ok).toBe(true);
    expect(check('RegisterTemplate', { name: 'up-1', kind: 'template', format: 'raw', zoneId: 'z1', upload: true }).ok).toBe(true);
    expect(violationsOf(check('AddImageStore', { name: 'secondary-1', zoneId: 'z1', path: 'relative/dir' }))).toEqual([['path', 'matches']]);
    expect(violationsOf(check('RegisterTemplate', { name: 'iso-1', kind: 'iso', format: 'qcow2', zoneId: 'z1', url: 'https://x.example/a.iso' }))).toEqual([
      ['format', 'formatOfKind'],
    ]);
    expect(violationsOf(check('RegisterTemplate', { name: 't', kind: 'template', format: 'raw', zoneId: 'z1', url: 'https://u:p@x.example/a' }))).toEqual([
      ['url', 'matches'],
    ]);
    expect(violationsOf(check('CopyTemplate', {}))).toEqual(expect.arrayContaining([['zoneId', 'isString']]));
  });
});
