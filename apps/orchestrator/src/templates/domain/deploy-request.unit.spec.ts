import { checkDeployRequest } from './deploy-request';
import { uploadUrlOf } from './upload-url';
import { isUploadToken } from '@strata/contracts';
import { imageServiceUrlFromEnv } from '../infrastructure/image-service-url';

const POOL = '00000000-0000-4000-8000-0000000000c1';
const GiB = 2 ** 30;
const template = { virtualSizeBytes: 10 * GiB };
const fields = (r: ReturnType<typeof checkDeployRequest>) => (r.ok ? [] : r.violations.map((v) => [v.field, v.rule]));

describe('POST /templates/{id}/volumes body', () => {
  it("takes name, poolId, sizeBytes (the template's virtual size when left out), hypervisor and dataMoverHostId", () => {
    expect(checkDeployRequest({ name: 'vm-1-root', poolId: POOL }, template)).toEqual({
      ok: true,
      request: { name: 'vm-1-root', poolId: POOL, sizeBytes: 10 * GiB, hypervisor: null, dataMoverHostId: null },
    });
    const mover = '4F7C2A10-93B1-4D52-8E6F-0A1B2C3D4E5F';
    expect(checkDeployRequest({ name: 'vm-1-root', poolId: POOL.toUpperCase(), sizeBytes: 20 * GiB, hypervisor: 'kvm', dataMoverHostId: mover }, template)).toEqual({
      ok: true,
      request: { name: 'vm-1-root', poolId: POOL, sizeBytes: 20 * GiB, hypervisor: 'kvm', dataMoverHostId: mover.toLowerCase() },
    });
    expect(fields(checkDeployRequest({ name: 'r', poolId: POOL, dataMoverHostId: 'mover-1' }, template))).toEqual([['dataMoverHostId', 'isUuid']]);
  });

  it('refuses sizeBytes below the virtual size, naming sizeBytes', () => {
    const r = checkDeployRequest({ name: 'r', poolId: POOL, sizeBytes: GiB }, template);
    expect(r).toEqual({
      ok: false,
      violations: [{ field: 'sizeBytes', rule: 'notBelowVirtualSize', message: `sizeBytes must not be less than the template's virtual size (${10 * GiB})` }],
    });
  });

  it("checks the rest with the storage service's CreateVolume rules, and refuses fields it does not take", () => {
    expect(fields(checkDeployRequest({ name: '-bad', poolId: 'pool-1', sizeBytes: 0, hypervisor: 'dos' }, template))).toEqual(
      expect.arrayContaining([
        ['name', 'matches'],
        ['poolId', 'isUuid'],
        ['sizeBytes', 'min'],
        ['hypervisor', 'isIn'],
      ]),
    );
    expect(fields(checkDeployRequest({ name: 'r', poolId: POOL, fromSnapshot: {}, volumeType: 'DATA' }, template))).toEqual([
      ['fromSnapshot', 'whitelistValidation'],
      ['volumeType', 'whitelistValidation'],
    ]);
    expect(fields(checkDeployRequest({ name: 'r' }, template))).toEqual([['poolId', 'isUuid']]);
    expect(fields(checkDeployRequest(undefined, template))).toEqual([['body', 'isObject']]);
    expect(fields(checkDeployRequest([], template))).toEqual([['body', 'isObject']]);
  });
});

describe('upload URL', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const templateId = '00000000-0000-4000-8000-0000000000d1';

  it("points at the image service's upload endpoint with a token that opens this template only", () => {
    const url = new URL(uploadUrlOf('http://images.test:8084', key, templateId));
    expect(`${url.origin}${url.pathname}`).toBe(`http://images.test:8084/uploads/${templateId}`);
    const token = url.searchParams.get('token')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isUploadToken(key, templateId, token)).toBe(true);
    expect(isUploadToken(key, '00000000-0000-4000-8000-0000000000d2', token)).toBe(false);
    expect(isUploadToken(Buffer.alloc(32, 8).toString('base64'), templateId, token)).toBe(false);
  });
});

describe('STRATA_IMAGE_SERVICE_URL', () => {
  it('defaults to the local image service; a trailing slash is dropped', () => {
    expect(imageServiceUrlFromEnv({})).toBe('http://127.0.0.1:8084');
    expect(imageServiceUrlFromEnv({ STRATA_IMAGE_SERVICE_URL: 'https://images.example:8443/strata/' })).toBe('https://images.example:8443/strata');
  });

  it('stops the start with the variable named when it is no http(s) URL, carries credentials or a query', () => {
    expect(() => imageServiceUrlFromEnv({ STRATA_IMAGE_SERVICE_URL: 'images:8084' })).toThrow(/STRATA_IMAGE_SERVICE_URL: must be an http\(s\) URL/);
    expect(() => imageServiceUrlFromEnv({ STRATA_IMAGE_SERVICE_URL: 'not a url' })).toThrow(/STRATA_IMAGE_SERVICE_URL: "not a url" is not a URL/);
    expect(() => imageServiceUrlFromEnv({ STRATA_IMAGE_SERVICE_URL: 'http://u:p@images:8084' })).toThrow(/must not carry user:password@/);
    expect(() => imageServiceUrlFromEnv({ STRATA_IMAGE_SERVICE_URL: 'http://images:8084/?a=1' })).toThrow(/no query or fragment/);
  });
});
