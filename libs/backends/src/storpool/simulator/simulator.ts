import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SimError, StorPoolState, type TemplateSpec } from './state';

/**
 * The StorPool management API (`/ctrl/1.0/<Query>`, and its MultiCluster/ and
 * MultiCluster/AllClusters/ forms) over HTTP, backed by StorPoolState: the
 * `Authorization: Storpool v1:<token>` header on every call, `{data}` on
 * success and `{error:{name,descr,transient}}` otherwise, JSON in POST bodies
 * or in `?json=` on GET. Faults injected through `POST /_sim/faults` (or
 * `faults.inject`) make the next API requests fail; `GET /_sim/inventory` lists the volumes,
 * the snapshots and the faults still pending without spending one.
 */

/**
 * '5xx': a 503 marked transient; '401': the token refused; 'timeout': no answer and nothing
 * done (the request was lost); 'lost-answer': the call is carried out, then no answer (the
 * reply was lost): the case where a client that timed out must not assume nothing happened.
 */
export type StorPoolSimulatorFault = '5xx' | 'timeout' | '401' | 'lost-answer';
const FAULTS: readonly StorPoolSimulatorFault[] = ['5xx', 'timeout', '401', 'lost-answer'];

export interface StorPoolSimulatorOptions {
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** The SP_AUTH_TOKEN the API accepts. */
  readonly authToken?: string;
  /** Templates (the pools); 'nvme' (1 TiB, replication 3) and 'hdd' (4 TiB, replication 2) when omitted. */
  readonly templates?: readonly TemplateSpec[];
  /** StorPool client ids (hosts) volumes may be attached to; 1 and 2 when omitted. */
  readonly clients?: readonly number[];
  /** How long an injected 'timeout' or 'lost-answer' holds the answer; longer than the client's timeout. */
  readonly timeoutFaultMs?: number;
  /** Told of every API call served (after authentication), in order: a test's log of what the client asked the array to do. */
  readonly onCall?: (call: StorPoolSimulatorCall) => void;
}

export interface StorPoolSimulatorCall {
  readonly method: string;
  /** The path after /ctrl/1.0/, e.g. VolumeCreate or VolumeReassign. */
  readonly path: string;
  readonly body: unknown;
  readonly status: number;
  /** The request's headers but Authorization (tests see what the client sent, e.g. traceparent). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface StorPoolSimulator {
  /** http://host:port, the base the client appends /ctrl/1.0/ to. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly authToken: string;
  readonly dataDir: string;
  readonly templates: readonly string[];
  readonly clients: readonly number[];
  /** The driver's devicePath setting for this simulator: a volume's sparse file is its device. */
  readonly devicePathTemplate: string;
  /**
   * Fails the next `times` API calls; with `query` (VolumeDelete, say), only calls of that
   * query. `pending` counts the failures injected that no call has met yet.
   */
  readonly faults: { inject(fault: StorPoolSimulatorFault, times: number, query?: string): Promise<void>; pending(): number };
  /** For tests that check how a copy was made (reflink or sparse scan). */
  readonly state: StorPoolState;
  close(): Promise<void>;
}

export const DEFAULT_SIM_TOKEN = '4711821942011384578';
const GiB = 2 ** 30;
export const DEFAULT_TEMPLATES: readonly TemplateSpec[] = [
  { name: 'nvme', capacityBytes: 1024 * GiB, replication: 3 },
  { name: 'hdd', capacityBytes: 4096 * GiB, replication: 2 },
];
const MAX_BODY = 16 * 1024 * 1024;

export async function startStorPoolSimulator(options: StorPoolSimulatorOptions): Promise<StorPoolSimulator> {
  const authToken = options.authToken ?? DEFAULT_SIM_TOKEN;
  const templates = options.templates ?? DEFAULT_TEMPLATES;
  const clients = options.clients ?? [1, 2];
  const timeoutFaultMs = options.timeoutFaultMs ?? 35_000;
  const state = new StorPoolState(options.dataDir, templates, clients);
  await state.init();

  const pending: { fault: StorPoolSimulatorFault; remaining: number; query: string | undefined }[] = [];
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  // One request at a time: the cluster's configuration changes are serialised too.
  let queue: Promise<unknown> = Promise.resolve();

  const inject = (fault: StorPoolSimulatorFault, times: number, query?: string): void => {
    if (!FAULTS.includes(fault)) throw new Error(`unknown fault '${String(fault)}'`);
    if (!Number.isInteger(times) || times < 1) throw new Error('times must be a positive integer');
    if (query !== undefined && (typeof query !== 'string' || !/^[A-Za-z]+$/.test(query))) throw new Error('query must be a query name such as VolumeDelete');
    pending.push({ fault, remaining: times, query });
  };

  const pendingCount = (): number => pending.reduce((n, p) => n + p.remaining, 0);

  const takeFault = (query: string): StorPoolSimulatorFault | undefined => {
    const index = pending.findIndex((p) => p.query === undefined || p.query === query);
    const next = pending[index];
    if (next === undefined) return undefined;
    next.remaining -= 1;
    if (next.remaining === 0) pending.splice(index, 1);
    return next.fault;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://sim');
    const body = await readBody(request);
    if (url.pathname === '/_sim/faults') {
      if (request.method !== 'POST') return send(response, 405, { error: { name: 'invalidParam', descr: 'POST a fault', transient: false } });
      try {
        const parsed = JSON.parse(body) as { fault: StorPoolSimulatorFault; times?: number; query?: string };
        inject(parsed.fault, parsed.times ?? 1, parsed.query);
      } catch (error) {
        return send(response, 400, { error: { name: 'invalidParam', descr: (error as Error).message, transient: false } });
      }
      return send(response, 200, { data: { ok: true } });
    }
    if (url.pathname === '/_sim/inventory') {
      // What the cluster holds and the faults still waiting, read beside the API: no token, and no injected fault spent.
      const names = async (query: string) => ((await state.handle('GET', query, undefined, undefined, { multiCluster: false })) as { name: string }[]).map((o) => o.name);
      return send(response, 200, { data: { volumes: await names('VolumesList'), snapshots: await names('SnapshotsList'), pendingFaults: pendingCount() } });
    }
    if (!url.pathname.startsWith('/ctrl/1.0/')) {
      return send(response, 404, { error: { name: 'invalidParam', descr: `no such path ${url.pathname}`, transient: false } });
    }
    const fault = takeFault(queryOf(url.pathname));
    // Answer nothing until long after the client gave up; close() ends it early.
    const hold = (): void => {
      held.add(response);
      setTimeout(() => {
        held.delete(response);
        response.destroy();
      }, timeoutFaultMs).unref();
    };
    if (fault === 'timeout') return hold();
    if (fault === '401' || request.headers.authorization !== `Storpool v1:${authToken}`) {
      return send(response, 401, { error: { name: 'authError', descr: 'Authorization header missing or invalid (Storpool v1:<token>)', transient: false } });
    }
    if (fault === '5xx') {
      return send(response, 503, {
        error: { name: 'clusterNotReady', descr: 'the management service cannot serve requests right now (injected fault)', transient: true },
      });
    }
    const result = await (queue = queue.then(
      () => api(state, request.method, url, body),
      () => api(state, request.method, url, body),
    ));
    options.onCall?.({
      method: request.method ?? '',
      path: url.pathname.slice('/ctrl/1.0/'.length),
      body: parseOrRaw(body),
      status: result.status,
      headers: headersWithoutCredentials(request),
    });
    if (fault === 'lost-answer') return hold();
    send(response, result.status, result.body);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { error: { name: 'internalError', descr: (error as Error).message, transient: false } });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    host,
    port: address.port,
    authToken,
    dataDir: options.dataDir,
    templates: templates.map((t) => t.name),
    clients: [...clients],
    devicePathTemplate: StorPoolState.volumePath(options.dataDir, '{name}'),
    faults: { inject: async (fault, times, query) => inject(fault, times, query), pending: pendingCount },
    state,
    close: async () => {
      for (const response of held) response.destroy();
      held.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

/** The query a /ctrl/1.0/ path asks, without the MultiCluster/ prefixes and the object name. */
function queryOf(pathname: string): string {
  const rest = pathname.slice('/ctrl/1.0/'.length).replace(/^MultiCluster\/(AllClusters\/)?/, '');
  return rest.split('/')[0] ?? '';
}

function headersWithoutCredentials(request: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name === 'authorization' || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseOrRaw(body: string): unknown {
  if (body === '') return null;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

async function api(state: StorPoolState, method: string | undefined, url: URL, body: string): Promise<{ status: number; body: unknown }> {
  try {
    if (method !== 'GET' && method !== 'POST') throw new SimError(405, 'invalidParam', 'the StorPool API takes GET and POST only');
    let rest = url.pathname.slice('/ctrl/1.0/'.length);
    let multiCluster = false;
    let allClusters = false;
    if (rest.startsWith('MultiCluster/AllClusters/')) {
      rest = rest.slice('MultiCluster/AllClusters/'.length);
      multiCluster = allClusters = true;
    } else if (rest.startsWith('MultiCluster/')) {
      rest = rest.slice('MultiCluster/'.length);
      multiCluster = true;
    }
    const slash = rest.indexOf('/');
    const query = slash < 0 ? rest : rest.slice(0, slash);
    let arg: string | undefined;
    try {
      arg = slash < 0 ? undefined : decodeURIComponent(rest.slice(slash + 1));
    } catch {
      throw new SimError(400, 'invalidParam', 'the object name in the path is not valid percent-encoding');
    }
    const jsonText = method === 'GET' ? url.searchParams.get('json') : body === '' ? null : body;
    let json: unknown;
    if (jsonText !== null) {
      try {
        json = JSON.parse(jsonText);
      } catch {
        throw new SimError(400, 'invalidParam', 'the request JSON cannot be parsed');
      }
    }
    const data = await state.handle(method, query, arg, json, { multiCluster });
    if (allClusters) return { status: 200, body: { data: { clusters: [{ clusterId: 'sim.a', name: 'sim', response: { data } }] } } };
    return { status: 200, body: { data } };
  } catch (error) {
    if (error instanceof SimError) return { status: error.status, body: { error: { name: error.errorName, descr: error.descr, transient: error.transient } } };
    return { status: 500, body: { error: { name: 'internalError', descr: (error as Error).message, transient: false } } };
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
