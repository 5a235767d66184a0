import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createStrataClient, ok } from './client';
import { StrataApiError } from './errors';

const ROOT = path.join(__dirname, '..', '..', '..');

/** A fetch that answers from a list of canned responses and records every request. */
function fakeFetch(answers: ((request: Request) => Response)[]) {
  const requests: Request[] = [];
  const fetch = async (request: Request) => {
    requests.push(request);
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)];
    return answer(request);
  };
  return { fetch, requests };
}

const json = (status: number, body: unknown) => () =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const job = (status: string, progress: number | null) => ({
  id: 'b2a4e6a0-0000-4000-8000-000000000001',
  status,
  commandType: 'CreateVolume',
  aggregateId: null,
  tenant: null,
  result: null,
  error: status === 'failed' ? { code: 'volume.has_snapshots', category: 'conflict', message: 'has snapshots', violations: [] } : null,
  progress,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('createStrataClient', () => {
  it('sends the key as a bearer token and the tenant as X-Tenant, to the given URL', async () => {
    const { fetch, requests } = fakeFetch([json(200, job('running', 10))]);
    const client = createStrataClient({ url: 'http://strata.test:8080/', apiKey: 'stk_secret', tenant: 'acme', fetch });
    await ok(client.api.GET('/jobs/{id}', { params: { path: { id: 'b2a4e6a0-0000-4000-8000-000000000001' } } }));
    expect(requests[0].url).toBe('http://strata.test:8080/jobs/b2a4e6a0-0000-4000-8000-000000000001');
    expect(requests[0].headers.get('authorization')).toBe('Bearer stk_secret');
    expect(requests[0].headers.get('x-tenant')).toBe('acme');
  });

  it('sends no Authorization header without a key', async () => {
    const { fetch, requests } = fakeFetch([json(200, { items: [], nextCursor: null })]);
    await createStrataClient({ url: 'http://strata.test', fetch }).listAll('/pools');
    expect(requests[0].headers.has('authorization')).toBe(false);
  });

  it('turns an error answer into a StrataApiError with its code, message and violations', async () => {
    const { fetch } = fakeFetch([
      json(400, {
        statusCode: 400,
        code: 'request.invalid',
        message: 'the request breaks 1 rule',
        violations: [{ field: 'sizeBytes', rule: 'min', message: 'sizeBytes must not be less than 1' }],
      }),
    ]);
    const client = createStrataClient({ url: 'http://strata.test', apiKey: 'k', fetch });
    const failure = client.api.POST('/volumes', { body: { name: 'v', sizeBytes: 0, poolId: 'p' } });
    await expect(failure).rejects.toBeInstanceOf(StrataApiError);
    await expect(failure).rejects.toMatchObject({
      status: 400,
      code: 'request.invalid',
      message: 'the request breaks 1 rule',
      violations: [{ field: 'sizeBytes', rule: 'min', message: 'sizeBytes must not be less than 1' }],
    });
  });

  it('keeps the status of an answer that is not the API error shape', async () => {
    const { fetch } = fakeFetch([() => new Response('Bad Gateway', { status: 502 })]);
    const failure = createStrataClient({ url: 'http://strata.test', fetch }).listAll('/pools');
    await expect(failure).rejects.toMatchObject({ status: 502, code: 'http.502', message: 'Bad Gateway', violations: [] });
  });

  it('reports an unreachable server as client.unreachable without the key', async () => {
    const fetch = async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    };
    const failure = createStrataClient({ url: 'http://127.0.0.1:9', apiKey: 'stk_topsecret', fetch }).listAll('/pools');
    await expect(failure).rejects.toMatchObject({ status: 0, code: 'client.unreachable', message: 'cannot reach http://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9' });
    await expect(failure).rejects.not.toMatchObject({ message: expect.stringContaining('topsecret') });
  });

  it('follows nextCursor until the last page, keeping the query', async () => {
    const { fetch, requests } = fakeFetch([
      json(200, { items: [{ id: 'a' }, { id: 'b' }], nextCursor: 'c1' }),
      json(200, { items: [{ id: 'c' }], nextCursor: null }),
    ]);
    const items = await createStrataClient({ url: 'http://strata.test', fetch }).listAll('/volumes', { status: 'ready', limit: 2 });
    expect(items.map((i) => i.id)).toEqual(['a', 'b', 'c']);
    expect(requests.map((r) => new URL(r.url).search)).toEqual(['?status=ready&limit=2', '?status=ready&limit=2&cursor=c1']);
  });

  it('fills path parameters of nested lists', async () => {
    const { fetch, requests } = fakeFetch([json(200, { items: [], nextCursor: null })]);
    await createStrataClient({ url: 'http://strata.test', fetch }).listAll('/volumes/{id}/snapshots', {}, { id: 'vol-1' });
    expect(new URL(requests[0].url).pathname).toBe('/volumes/vol-1/snapshots');
  });

  it('waits for a job, reporting each poll, and returns a failed job rather than throwing', async () => {
    const { fetch } = fakeFetch([json(200, job('accepted', null)), json(200, job('running', 40)), json(200, job('failed', 40))]);
    const seen: (number | null)[] = [];
    const done = await createStrataClient({ url: 'http://strata.test', fetch }).waitForJob('b2a4e6a0-0000-4000-8000-000000000001', {
      intervalMs: 1,
      onProgress: (j) => seen.push(j.progress),
    });
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('volume.has_snapshots');
    expect(seen).toEqual([null, 40, 40]);
  });

  it('gives up waiting after timeoutMs with client.timeout', async () => {
    const { fetch } = fakeFetch([json(200, job('running', 5))]);
    const failure = createStrataClient({ url: 'http://strata.test', fetch }).waitForJob('b2a4e6a0-0000-4000-8000-000000000001', {
      intervalMs: 5,
      timeoutMs: 20,
    });
    await expect(failure).rejects.toMatchObject({ status: 0, code: 'client.timeout' });
  });
});

describe('the generated schema', () => {
  it('is what openapi-typescript makes of libs/client/openapi.json (node scripts/client-types.mjs)', async () => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'scripts', 'client-types.mjs'), '--check'], { cwd: ROOT });
    expect(stdout).toContain('is current');
  });
});
