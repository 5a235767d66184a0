import { validateStorageCommand } from '../storage/validate';
import { validateImageCommand } from './validate';

const envelope = (type: string, data: Record<string, unknown>) => ({
  messageId: '9a3e1f5c-52b4-5d1e-8f6a-7c2b1d0e9f84', // name-based (v5): a process's resent command
  kind: 'command' as const,
  type,
  schemaVersion: 1,
  aggregateId: '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11',
  streamVersion: null,
  occurredAt: '2026-11-21T06:00:00.000Z',
  correlationId: 'corr-1',
  causationId: null,
  tenant: 'acme',
  data,
});
const register = { name: 'debian-12', kind: 'template', format: 'qcow2', zoneId: 'zone-1', url: 'https://images.example/debian-12.qcow2' };
// Either service's validation: ExportVolume is checked with the storage rules below.
const rulesOf = (result: ReturnType<typeof validateImageCommand> | ReturnType<typeof validateStorageCommand>) => (result.ok ? [] : result.violations.map((v) => `${v.field}:${v.rule}`));

describe('image command validation', () => {
  it('accepts a registration from a URL, with a name-based message id', () => {
    expect(validateImageCommand(envelope('RegisterTemplate', { ...register, checksum: { algorithm: 'sha256', value: 'a'.repeat(64) }, osType: 'debian' })).ok).toBe(true);
  });

  it('wants exactly one of url and upload, and no credentials in the URL', () => {
    expect(validateImageCommand(envelope('RegisterTemplate', { ...register, url: undefined, upload: true })).ok).toBe(true);
    expect(rulesOf(validateImageCommand(envelope('RegisterTemplate', { ...register, upload: true })))).toContain('data.url:urlOrUpload');
    expect(rulesOf(validateImageCommand(envelope('RegisterTemplate', { ...register, url: undefined })))).toContain('data.url:isString');
    expect(rulesOf(validateImageCommand(envelope('RegisterTemplate', { ...register, url: 'https://me:secret@images.example/x.qcow2' })))).toContain('data.url:matches');
  });

  it('checks the checksum length against its algorithm and the format against the kind', () => {
    const short = validateImageCommand(envelope('RegisterTemplate', { ...register, checksum: { algorithm: 'sha512', value: 'a'.repeat(64) } }));
    expect(rulesOf(short)).toContain('data.checksum.value:hexOfAlgorithm');
    if (!short.ok) expect(short.violations.find((v) => v.field === 'data.checksum.value')?.message).toMatch(/128 hex digits for sha512/);
    expect(rulesOf(validateImageCommand(envelope('RegisterTemplate', { ...register, kind: 'iso' })))).toContain('data.format:formatOfKind');
    expect(validateImageCommand(envelope('RegisterTemplate', { ...register, kind: 'iso', format: 'iso' })).ok).toBe(true);
  });

  it('applies the shared template settings to registration, creation from a volume and update alike', () => {
    const long = 'x'.repeat(129);
    expect(rulesOf(validateImageCommand(envelope('RegisterTemplate', { ...register, osType: long })))).toContain('data.osType:maxLength');
    expect(rulesOf(validateImageCommand(envelope('UpdateTemplate', { osType: long })))).toContain('data.osType:maxLength');
    const fromVolume = { name: 'golden', zoneId: 'zone-1', volumeId: '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11' };
    expect(validateImageCommand(envelope('CreateTemplateFromVolume', { ...fromVolume, public: true })).ok).toBe(true);
    expect(rulesOf(validateImageCommand(envelope('CreateTemplateFromVolume', { ...fromVolume, osType: long, extra: 1 })))).toEqual(
      expect.arrayContaining(['data.osType:maxLength', 'data.extra:whitelistValidation']),
    );
  });

  it('takes the image file rules in ExportVolume as in CreateVolume fromImage', () => {
    const exportData = { volumeId: '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11', path: 'relative/x.qcow2', format: 'vmdk' };
    expect(rulesOf(validateStorageCommand(envelope('ExportVolume', exportData)))).toEqual(expect.arrayContaining(['data.path:matches', 'data.format:isIn']));
    const create = { name: 'base', poolId: '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66', sizeBytes: 1048576, fromImage: { path: '/images/x.qcow2', format: 'qcow2' } };
    expect(validateStorageCommand(envelope('CreateVolume', create)).ok).toBe(true);
    expect(rulesOf(validateStorageCommand(envelope('CreateVolume', { ...create, deferCreation: true })))).toContain('data.fromImage:imageOrSnapshot');
  });
});
