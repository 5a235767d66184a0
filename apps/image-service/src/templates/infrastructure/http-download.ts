import { open, stat, truncate } from 'node:fs/promises';
import pRetry, { AbortError } from 'p-retry';
// undici's own fetch and connection pool, not Node's bundled ones: Node 24's parser crashes the whole
// process when a server closes the connection while the body is held back by a slow disk
// (nodejs/undici#5360, fixed in 8.x). The agent must be our own too: undici's fetch otherwise
// takes the global dispatcher, which Node's bundled fetch installs once anything has used it.
import { Agent, fetch, type Response } from 'undici';

const downloads = new Agent();

/** A download that will not succeed by trying again (4xx) or that retries could not save. */
export class DownloadFailed extends Error {
  constructor(
    message: string,
    /** The HTTP status, when the server answered. */
    readonly status: number | null,
  ) {
    super(message);
  }
}

/** A failure worth another attempt (5xx, 408, 429, a dropped connection); the next attempt resumes. */
class TransientDownloadFailure extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export interface DownloadOptions {
  readonly signal: AbortSignal;
  /** Called after every chunk written, with the bytes in the file and the whole size when the server said it. */
  readonly onProgress: (bytesDone: number, bytesTotal: number | null) => Promise<void> | void;
  readonly retries?: number;
  readonly minTimeoutMs?: number;
  /** An attempt that receives nothing for this long is dropped and retried (a stalled server would hold it forever). */
  readonly idleTimeoutMs?: number;
}

export interface DownloadResult {
  readonly bytes: number;
  /** Whether the file was resumed from an earlier partial one at least once. */
  readonly resumed: boolean;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

// "bytes 100-199/1000" or "bytes (star)/1000": the start (if any) and the total (if known).
function parseContentRange(header: string | null): { start: number | null; total: number | null } {
  const m = header ? /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(header.trim()) : null;
  if (!m) return { start: null, total: null };
  return { start: m[1] === undefined ? null : Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) };
}

const transientStatus = (status: number) => status >= 500 || status === 408 || status === 429;

/**
 * Downloads `url` into `part`, resuming what an earlier attempt (or an earlier process) left
 * there with a Range request; a server that answers 200 to it (no ranges) is read from the
 * start again. Transient failures are retried, each retry resuming; the URL is never logged
 * or put in an error here (it may carry a signed query).
 */
export async function downloadToPart(url: string, part: string, options: DownloadOptions): Promise<DownloadResult> {
  let resumed = false;
  const idleMs = options.idleTimeoutMs ?? 60_000;
  const attempt = async (): Promise<number> => {
    const idle = new AbortController();
    let timer = setTimeout(() => idle.abort(), idleMs);
    const alive = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), idleMs);
    };
    try {
      return await attemptOnce(AbortSignal.any([options.signal, idle.signal]), alive, () => idle.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  };
  const attemptOnce = async (signal: AbortSignal, alive: () => void, stalled: () => boolean): Promise<number> => {
    const have = await sizeOf(part);
    let response: Response;
    try {
      response = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal, redirect: 'follow', dispatcher: downloads });
    } catch (error) {
      if (options.signal.aborted) throw error;
      if (stalled()) throw new TransientDownloadFailure(`the server did not answer within ${idleMs} ms`, null);
      throw new TransientDownloadFailure(`connection failed: ${(error as Error).cause ? String((error as Error).cause) : (error as Error).message}`, null);
    }
    if (response.status === 416 && have > 0) {
      await response.body?.cancel();
      // Our partial file is already whole, or longer than the file now is: then start over.
      if (parseContentRange(response.headers.get('content-range')).total === have) return have;
      await truncate(part, 0);
      throw new TransientDownloadFailure('the partial file does not fit the remote file: starting over', 416);
    }
    if (!response.ok) {
      await response.body?.cancel();
      const failure = `the server answered HTTP ${response.status}`;
      if (transientStatus(response.status)) throw new TransientDownloadFailure(failure, response.status);
      throw new AbortError(new DownloadFailed(failure, response.status));
    }
    const range = parseContentRange(response.headers.get('content-range'));
    if (response.status === 206 && range.start !== have) {
      // Not the part asked for: nothing safe to append, so the next attempt starts from zero.
      await response.body?.cancel();
      await truncate(part, 0).catch(() => undefined);
      throw new TransientDownloadFailure(`the server sent bytes from ${range.start ?? 'an unknown offset'}, not ${have}: starting over`, 206);
    }
    const appending = response.status === 206 && have > 0;
    if (appending) resumed = true;
    const length = response.headers.get('content-length');
    const total = response.status === 206 ? range.total : length !== null ? Number(length) : null;
    let done = appending ? have : 0;
    const handle = await open(part, appending ? 'a' : 'w');
    try {
      if (!response.body) throw new TransientDownloadFailure('the server sent no body', response.status);
      for await (const chunk of response.body) {
        alive();
        await handle.write(chunk);
        done += chunk.byteLength;
        await options.onProgress(done, total);
      }
    } catch (error) {
      if (options.signal.aborted || error instanceof TransientDownloadFailure) throw error;
      const why = stalled() ? `nothing received for ${idleMs} ms` : (error as Error).message;
      throw new TransientDownloadFailure(`the transfer broke off after ${done} bytes: ${why}`, response.status);
    } finally {
      await handle.close();
    }
    if (total !== null && done !== total) throw new TransientDownloadFailure(`the transfer ended after ${done} of ${total} bytes`, response.status);
    return done;
  };
  try {
    const bytes = await pRetry(attempt, {
      retries: options.retries ?? 4,
      minTimeout: options.minTimeoutMs ?? 250,
      maxTimeout: 4_000,
      signal: options.signal,
      shouldRetry: ({ error }) => error instanceof TransientDownloadFailure,
    });
    return { bytes, resumed };
  } catch (error) {
    if (error instanceof TransientDownloadFailure) throw new DownloadFailed(`${error.message} (retries exhausted)`, error.status);
    throw error;
  }
}
