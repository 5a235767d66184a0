import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DownloadFailed, downloadToPart } from './http-download';

/**
 * The resumable download against a local HTTP server (in this process, no infrastructure):
 * how it reads the server's answers to Range requests and which failures it retries.
 */
describe('downloadToPart', () => {
  const body = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));
  let dir: string;
  let server: http.Server;
  let url: string;
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  const ranges: (string | null)[] = [];
  const options = () => ({ signal: new AbortController().signal, onProgress: () => undefined, minTimeoutMs: 1, retries: 2 });
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-dl-'));
    server = http.createServer((req, res) => {
      ranges.push(req.headers.range ?? null);
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/f`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    ranges.length = 0;
  });

  const ranged = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    if (start >= body.length) return res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    if (start > 0) res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': body.length - start });
    else res.writeHead(200, { 'content-length': body.length });
    res.end(body.subarray(start));
  };

  // Node's bundled fetch crashed the whole process here (nodejs/undici#5360: the server's FIN
  // reaching a parser paused by backpressure); python's http.server answers this way.
  beforeAll(async () => {
    // As in a service: once Node's bundled fetch has run, it owns the process's global dispatcher.
    await fetch('http://127.0.0.1:1/').catch(() => undefined);
    expect(Object.getOwnPropertySymbols(globalThis).map(String)).toContain('Symbol(undici.globalDispatcher.2)');
  });
  it.each([
    ['with a length', true],
    ['delimited by the close', false],
  ])('takes a body sent at once and closed (%s), as HTTP/1.0 servers do', async (_, withLength) => {
    const big = Buffer.alloc(8 * 2 ** 20, 7);
    const closer = net.createServer((socket) => {
      socket.once('data', () => {
        socket.write(`HTTP/1.1 200 OK\r\n${withLength ? `Content-Length: ${big.length}\r\n` : ''}Connection: close\r\n\r\n`);
        socket.write(big);
        socket.end();
      });
    });
    await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', resolve));
    try {
      const part = path.join(dir, `closed-${withLength}.part`);
      // A slow consumer (a progress event recorded per chunk) makes the parser pause before the FIN.
      const slow = { ...options(), onProgress: () => new Promise<void>((resolve) => setTimeout(resolve, 5)) };
      await downloadToPart(`http://127.0.0.1:${(closer.address() as AddressInfo).port}/f`, part, slow);
      expect(sha(await readFile(part))).toBe(sha(big));
    } finally {
      await new Promise((r) => closer.close(r));
    }
    // Slow by design (a delay per chunk); a loaded machine must not turn it into a timeout.
  }, 30_000);

  it('continues a partial file with a Range request (206)', async () => {
    const part = path.join(dir, 'a.part');
    await writeFile(part, body.subarray(0, 12_345));
    handler = ranged;
    const progress: number[] = [];
    const result = await downloadToPart(url, part, { ...options(), onProgress: (done) => void progress.push(done) });
    expect(result).toEqual({ bytes: body.length, resumed: true });
    expect(ranges).toEqual(['bytes=12345-']);
    expect(progress[0]).toBeGreaterThan(12_345);
    expect(sha(await readFile(part))).toBe(sha(body));
  });

  it('starts over when the server ignores the range and answers 200', async () => {
    const part = path.join(dir, 'b.part');
    await writeFile(part, Buffer.from('stale bytes from another file'));
    handler = (_req, res) => res.writeHead(200, { 'content-length': body.length }).end(body);
    expect(await downloadToPart(url, part, options())).toEqual({ bytes: body.length, resumed: false });
    expect(sha(await readFile(part))).toBe(sha(body));
  });

  it('starts over when the server sends another range than the one asked for', async () => {
    const part = path.join(dir, 'r.part');
    await writeFile(part, body.subarray(0, 5000));
    let calls = 0;
    handler = (req, res) => {
      if (++calls > 1) return ranged(req, res);
      res.writeHead(206, { 'content-range': `bytes 4000-${body.length - 1}/${body.length}`, 'content-length': body.length - 4000 });
      res.end(body.subarray(4000));
    };
    expect((await downloadToPart(url, part, options())).bytes).toBe(body.length);
    expect(ranges).toEqual(['bytes=5000-', null]);
    expect(sha(await readFile(part))).toBe(sha(body));
  });

  it('takes a partial file that is already whole (416 with the same total)', async () => {
    const part = path.join(dir, 'c.part');
    await writeFile(part, body);
    handler = ranged;
    expect((await downloadToPart(url, part, options())).bytes).toBe(body.length);
    expect(ranges).toEqual([`bytes=${body.length}-`]);
  });

  it('retries a 503 and gives up on a 404 at once, with the status', async () => {
    let calls = 0;
    handler = (req, res) => (++calls === 1 ? res.writeHead(503).end() : ranged(req, res));
    const part = path.join(dir, 'd.part');
    expect((await downloadToPart(url, part, options())).bytes).toBe(body.length);
    expect(calls).toBe(2);

    ranges.length = 0;
    handler = (_req, res) => res.writeHead(404).end();
    const failed = downloadToPart(url, path.join(dir, 'e.part'), options());
    await expect(failed).rejects.toBeInstanceOf(DownloadFailed);
    await expect(failed).rejects.toMatchObject({ status: 404, message: 'the server answered HTTP 404' });
    expect(ranges).toHaveLength(1);
  });

  it('gives up after the retries on a server that keeps failing, saying so', async () => {
    handler = (_req, res) => res.writeHead(502).end();
    await expect(downloadToPart(url, path.join(dir, 'f.part'), options())).rejects.toMatchObject({ status: 502, message: expect.stringContaining('retries exhausted') });
    expect(ranges).toHaveLength(3);
  });

  it('drops a stalled transfer and resumes it', async () => {
    let calls = 0;
    handler = (req, res) => {
      if (++calls > 1) return ranged(req, res);
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 1000)); // then silence
    };
    const part = path.join(dir, 'g.part');
    expect(await downloadToPart(url, part, { ...options(), idleTimeoutMs: 200 })).toEqual({ bytes: body.length, resumed: true });
    expect(ranges).toEqual([null, 'bytes=1000-']);
    expect(sha(await readFile(part))).toBe(sha(body));
  });

  it('stops when aborted, keeping what it has for later', async () => {
    const abort = new AbortController();
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 1000), () => abort.abort());
    };
    await expect(downloadToPart(url, path.join(dir, 'h.part'), { ...options(), signal: abort.signal })).rejects.not.toBeInstanceOf(DownloadFailed);
  });
});
