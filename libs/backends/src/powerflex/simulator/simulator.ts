import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sparseCopy } from '../../sparse/sparse-files';

/**
 * A PowerFlex (ScaleIO) 3.x gateway in one process: the REST API of backend-apis.md §1
 * (paths, string-valued requests, quoted-string answers, links, error bodies, status codes)
 * with the array's rules (8 GiB blocks, 31-character names unique per system, 128 volumes
 * per VTree, revert within a VTree, SDC mapping and QoS rules, VTree migration, token expiry).
 * State lives in memory; each volume and snapshot is a sparse file under <dataDir>/volumes,
 * and mapping a volume to an SDC makes it appear to that host as the symlink
 * <dataDir>/sdc-<sdcId>/emc-vol-<systemId>-<volumeId>, named like the real
 * /dev/disk/by-id entry, so the data path is real and appears only while mapped.
 */

const KiB = 1024;
const GiB = 2 ** 30;
const BLOCK_KB = (8 * GiB) / KiB;
const MAX_VOLUME_KB = 2 ** 50 / KiB;
const MAX_NAME = 31;
const MAX_VTREE = 128;
const NAME = /^[\x21-\x7e]+$/;

/** 'timeout': no answer in time and nothing done; 'lost-answer': the call is carried out, then no answer in time. */
export type SimulatorFault = '5xx' | 'timeout' | '401' | 'lost-answer';
const FAULTS: readonly string[] = ['5xx', 'timeout', '401', 'lost-answer'];

export interface SimulatorPoolSpec {
  readonly name: string;
  readonly capacityBytes: number;
  /** Protection domain name; the first one when omitted. */
  readonly protectionDomain?: string;
}

export interface SimulatorSdcSpec {
  readonly name: string;
  readonly ip: string;
  /** 16 hex digits; random when omitted. */
  readonly id?: string;
}

export interface PowerFlexSimulatorOptions {
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  readonly username?: string;
  readonly password?: string;
  readonly protectionDomains?: readonly string[];
  readonly pools?: readonly SimulatorPoolSpec[];
  readonly sdcs?: readonly SimulatorSdcSpec[];
  /** The gateway drops a token unused this long (the real one: 10 minutes). */
  readonly tokenIdleTimeoutMs?: number;
  /** And any token after this long (the real one: 8 hours). */
  readonly tokenLifetimeMs?: number;
  /** How long an injected 'timeout' holds the answer; more than the client's timeout. */
  readonly timeoutFaultMs?: number;
  /** Polls of the VTree a migration takes before it completes. */
  readonly migrationPolls?: number;
  readonly version?: string;
}

export interface PowerFlexSimulator {
  readonly url: string;
  readonly systemId: string;
  readonly protectionDomains: readonly { id: string; name: string }[];
  readonly pools: readonly { id: string; name: string; protectionDomainId: string }[];
  readonly sdcs: readonly { id: string; name: string; ip: string }[];
  readonly username: string;
  readonly password: string;
  readonly dataDir: string;
  /** Where a mapped volume appears on an SDC: the driver's deviceDir setting. */
  readonly deviceDirTemplate: string;
  /** Fails the next `times` API calls; `pending` counts the failures injected that no call has met yet. */
  readonly faults: { inject(fault: SimulatorFault, times: number): Promise<void>; pending(): number };
  /** Successful logins so far: tests see token renewals through it. */
  logins(): number;
  /** 401 answers so far, injected ones included. */
  unauthorized(): number;
  /** The volumes and snapshots the gateway holds, read beside the API: no token, and no injected fault spent. */
  inventory(): { id: string; name: string | null; volumeType: string; storagePoolId: string }[];
  close(): Promise<void>;
}

interface Pool {
  id: string;
  name: string;
  protectionDomainId: string;
  capacityKb: number;
  sparePercentage: number;
}

interface Mapping {
  sdcId: string;
  limitIops: number;
  limitBwInKbps: number;
}

interface Volume {
  id: string;
  name: string | null;
  volumeType: 'ThinProvisioned' | 'ThickProvisioned' | 'Snapshot';
  /** Provisioning of the VTree's base, which snapshots inherit for capacity accounting. */
  thick: boolean;
  storagePoolId: string;
  vtreeId: string;
  ancestorVolumeId: string | null;
  consistencyGroupId: string | null;
  sizeInKb: number;
  creationTime: number;
  accessModeLimit: 'ReadWrite' | 'ReadOnly';
  mappings: Map<string, Mapping>;
  seq: number;
}

interface VTree {
  id: string;
  name: string | null;
  baseVolumeId: string | null;
  storagePoolId: string;
  migration: { status: string; sourceStoragePoolId: string | null; destinationStoragePoolId: string | null; pollsLeft: number };
}

interface Token {
  created: number;
  lastUsed: number;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorCode: number,
    readonly detail?: { error: string; rc: number },
  ) {
    super(message);
  }
}

/** Error names from goscaleio's code.properties; rc numbers other than 182 are our own [A]. */
const E = {
  nameInUse: { error: 'VOL_NAME_IN_USE', rc: 6, message: 'Volume name already in use. Please use a different name.' },
  sizeIllegal: { error: 'VOL_SIZE_ILLEGAL', rc: 8, message: 'Illegal volume size. Volume size must be in 8 GB blocks' },
  decrease: { error: 'VOL_DECREASE_NOT_SUPPORTED', rc: 9, message: 'Volume capacity can only be increased' },
  invalidName: {
    error: 'INVALID_NAME',
    rc: 10,
    message: 'The name is invalid. Use alphanumeric and punctuation characters only. Spaces are not allowed.',
  },
  nameTooLong: { error: 'NAME_TOO_LONG', rc: 11, message: 'The name is too long. The maximum length is 31 characters' },
  vtreeMismatch: { error: 'VTREE_ID_MISMATCH', rc: 120, message: 'The source and the destination are not in the same VTree' },
  sameVolume: { error: 'VOLUME_AND_SNAPSHOT_MATCH', rc: 121, message: 'The source and the destination are the same volume' },
  srcLarger: { error: 'SRC_VOL_LARGER_THAN_DEST', rc: 122, message: 'The source volume is larger than the destination volume' },
  alreadyMapped: { error: 'VOL_ALREADY_MAPPED_TO_THIS_INI', rc: 130, message: 'The volume is already mapped to this SDC' },
  notMapped: { error: 'VOL_NOT_MAPPED_TO_INI', rc: 131, message: 'The volume is not mapped to this SDC' },
  oneMapping: {
    error: 'NOT_ALLOWED_MORE_THAN_ONE_MAPPING',
    rc: 132,
    message: 'The volume is already mapped to another SDC; allowMultipleMappings is required',
  },
  mapped: { error: 'VOL_MAPPED', rc: 133, message: 'The volume is mapped to an SDC. Unmap it first' },
  tooManySnaps: { error: 'TOO_MANY_SNAPS_IN_VTREE', rc: 182, message: 'Too many snapshots in the VTree (at most 128 volumes)' },
  iopsLimit: { error: 'INVALID_IOPS_LIMIT', rc: 140, message: 'IOPS limit must be 0 (unlimited) or greater than 10' },
  bwLimit: { error: 'INVALID_BW_LIMIT', rc: 141, message: 'Bandwidth limit must be 0 (unlimited) or a multiple of 1024 Kbps' },
  capacity: { error: 'INSUFFICIENT_CAPACITY', rc: 150, message: 'Not enough capacity in the storage pool for this volume' },
  inMigration: { error: 'VTREE_MIGRATION_IN_PROGRESS', rc: 717, message: 'The VTree is already being migrated' },
  onDestination: { error: 'VTREE_ALREADY_ON_DESTINATION', rc: 718, message: 'The VTree is already in the destination storage pool' },
} as const;

function domainError(rule: { error: string; rc: number; message: string }): ApiError {
  // The vendor's errorCode numbers for these are unknown; the rc doubles as it.
  return new ApiError(500, rule.message, rule.rc, { error: rule.error, rc: rule.rc });
}
function badRequest(message: string): ApiError {
  return new ApiError(400, `Request message is not valid: ${message}`, 0);
}
function notFound(message: string, errorCode = 3): ApiError {
  return new ApiError(500, message, errorCode);
}

const hexId = (): string => randomBytes(8).toString('hex');

export async function startPowerFlexSimulator(options: PowerFlexSimulatorOptions): Promise<PowerFlexSimulator> {
  const sim = new Sim(options);
  await sim.init();
  const server = createServer((req, res) => {
    sim.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { message: String(error), httpStatusCode: 500, errorCode: 0 });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    systemId: sim.systemId,
    protectionDomains: [...sim.protectionDomains.values()].map(({ id, name }) => ({ id, name })),
    pools: [...sim.pools.values()].map(({ id, name, protectionDomainId }) => ({ id, name, protectionDomainId })),
    sdcs: [...sim.sdcs.values()].map(({ id, name, ip }) => ({ id, name, ip })),
    username: sim.username,
    password: sim.password,
    dataDir: options.dataDir,
    deviceDirTemplate: join(options.dataDir, 'sdc-{sdcId}'),
    faults: {
      inject: async (fault, times) => sim.inject(fault, times),
      pending: () => sim.pendingFaults(),
    },
    logins: () => sim.logins,
    unauthorized: () => sim.unauthorized,
    inventory: () => sim.inventory(),
    close: () => closeServer(server, sim),
  };
}

async function closeServer(server: Server, sim: Sim): Promise<void> {
  sim.closing();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

class Sim {
  readonly systemId = hexId();
  readonly username: string;
  readonly password: string;
  readonly protectionDomains = new Map<string, { id: string; name: string }>();
  readonly pools = new Map<string, Pool>();
  readonly sdcs = new Map<string, { id: string; name: string; ip: string; guid: string }>();
  private readonly volumes = new Map<string, Volume>();
  private readonly vtrees = new Map<string, VTree>();
  private readonly tokens = new Map<string, Token>();
  private readonly faults: { fault: SimulatorFault; times: number }[] = [];
  private readonly held = new Set<NodeJS.Timeout>();
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  logins = 0;
  unauthorized = 0;
  private readonly idleMs: number;
  private readonly lifetimeMs: number;
  private readonly holdMs: number;
  private readonly migrationPolls: number;
  private readonly version: string;

  constructor(private readonly options: PowerFlexSimulatorOptions) {
    this.username = options.username ?? 'admin';
    this.password = options.password ?? 'Scaleio123!';
    this.idleMs = options.tokenIdleTimeoutMs ?? 10 * 60_000;
    this.lifetimeMs = options.tokenLifetimeMs ?? 8 * 3_600_000;
    this.holdMs = options.timeoutFaultMs ?? 60_000;
    this.migrationPolls = options.migrationPolls ?? 3;
    this.version = options.version ?? '3.6';
    for (const name of options.protectionDomains ?? ['pd1']) {
      const id = hexId();
      this.protectionDomains.set(id, { id, name });
    }
    const firstPd = [...this.protectionDomains.values()][0];
    if (firstPd === undefined) throw new Error('powerflex simulator: at least one protection domain is needed');
    const pools = options.pools ?? [
      { name: 'pool1', capacityBytes: 2 ** 40 },
      { name: 'pool2', capacityBytes: 2 ** 40 },
    ];
    for (const spec of pools) {
      const pd = spec.protectionDomain === undefined ? firstPd : [...this.protectionDomains.values()].find((p) => p.name === spec.protectionDomain);
      if (pd === undefined) throw new Error(`powerflex simulator: pool ${spec.name} names an unknown protection domain`);
      const id = hexId();
      this.pools.set(id, { id, name: spec.name, protectionDomainId: pd.id, capacityKb: Math.floor(spec.capacityBytes / KiB), sparePercentage: 10 });
    }
    const sdcs = options.sdcs ?? [
      { name: 'host-1', ip: '127.0.0.11' },
      { name: 'host-2', ip: '127.0.0.12' },
    ];
    for (const spec of sdcs) {
      const id = (spec.id ?? hexId()).toLowerCase();
      this.sdcs.set(id, { id, name: spec.name, ip: spec.ip, guid: randomBytes(16).toString('hex').toUpperCase() });
    }
  }

  async init(): Promise<void> {
    await fsp.mkdir(join(this.options.dataDir, 'volumes'), { recursive: true });
    for (const sdc of this.sdcs.values()) await fsp.mkdir(this.sdcDir(sdc.id), { recursive: true });
  }

  inject(fault: SimulatorFault, times: number): void {
    if (times > 0) this.faults.push({ fault, times });
  }

  closing(): void {
    for (const timer of this.held) clearTimeout(timer);
    this.held.clear();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const body = await readBody(req);
    if (url.pathname === '/_sim/faults' && req.method === 'POST') {
      const parsed = parseJson(body) as { fault?: string; times?: number } | undefined;
      if (parsed === undefined || !FAULTS.includes(String(parsed.fault)) || !Number.isInteger(parsed.times)) {
        send(res, 400, { message: 'expected {"fault":"5xx"|"timeout"|"401"|"lost-answer","times":n}' });
        return;
      }
      this.inject(parsed.fault as SimulatorFault, parsed.times as number);
      send(res, 200, { ok: true });
      return;
    }
    if (url.pathname === '/_sim/inventory' && req.method === 'GET') {
      // What the gateway holds and the faults still waiting, read beside the API: no token, and no injected fault spent.
      send(res, 200, { volumes: this.inventory(), pools: [...this.pools.values()].map(({ id, name }) => ({ id, name })), pendingFaults: this.pendingFaults() });
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      send(res, 404, { message: 'Not Found', httpStatusCode: 404, errorCode: 0 });
      return;
    }
    const fault = this.nextFault();
    if (fault === '5xx') {
      send(res, 500, { message: 'Internal server error', httpStatusCode: 500, errorCode: 0 });
      return;
    }
    if (fault === '401') {
      this.unauthorized += 1;
      send(res, 401, { message: 'Unauthorized', httpStatusCode: 401, errorCode: 0 });
      return;
    }
    const hold = (): void => {
      const timer = setTimeout(() => {
        this.held.delete(timer);
        if (!res.writableEnded) send(res, 504, { message: 'Gateway Timeout', httpStatusCode: 504, errorCode: 0 });
      }, this.holdMs);
      this.held.add(timer);
    };
    if (fault === 'timeout') return hold();
    // One request at a time, as the MDM serialises configuration changes.
    const run = this.queue.then(() => this.route(req.method ?? 'GET', url.pathname, req.headers.authorization, body));
    this.queue = run.catch(() => undefined);
    try {
      const [status, result] = await run;
      if (fault === 'lost-answer') return hold();
      send(res, status, result);
    } catch (error) {
      if (fault === 'lost-answer') return hold();
      if (error instanceof ApiError) {
        if (error.status === 401) this.unauthorized += 1;
        send(res, error.status, {
          message: error.message,
          httpStatusCode: error.status,
          errorCode: error.errorCode,
          ...(error.detail === undefined ? {} : { details: [{ ...error.detail, errorMessage: error.message }] }),
        });
      } else {
        throw error;
      }
    }
  }

  pendingFaults(): number {
    return this.faults.reduce((n, f) => n + f.times, 0);
  }

  inventory(): { id: string; name: string | null; volumeType: string; storagePoolId: string }[] {
    return this.sorted([...this.volumes.values()]).map((v) => ({ id: v.id, name: v.name, volumeType: v.volumeType, storagePoolId: v.storagePoolId }));
  }

  private nextFault(): SimulatorFault | undefined {
    const head = this.faults[0];
    if (head === undefined) return undefined;
    head.times -= 1;
    if (head.times <= 0) this.faults.shift();
    return head.fault;
  }

  private async route(method: string, path: string, authorization: string | undefined, rawBody: string): Promise<[number, unknown]> {
    if (method === 'GET' && path === '/api/version') return [200, this.version];
    if (method === 'GET' && path === '/api/login') return [200, this.login(authorization)];
    this.authenticate(authorization);
    if (method === 'GET' && path === '/api/logout') {
      this.tokens.delete(tokenOf(authorization) ?? '');
      return [200, undefined];
    }
    const body = method === 'POST' ? this.parseBody(rawBody) : {};

    let m: RegExpMatchArray | null;
    if (method === 'GET') {
      if (path === '/api/types/System/instances') return [200, [this.systemJson()]];
      if ((m = path.match(/^\/api\/instances\/System::([0-9a-f]+)$/))) return [200, this.systemJson(m[1])];
      if (path === '/api/types/ProtectionDomain/instances') return [200, [...this.protectionDomains.values()].map((pd) => this.pdJson(pd))];
      if ((m = path.match(/^\/api\/instances\/ProtectionDomain::([0-9a-f]+)$/))) return [200, this.pdJson(this.pd(m[1]))];
      if (path === '/api/types/StoragePool/instances') return [200, [...this.pools.values()].map((p) => this.poolJson(p))];
      if ((m = path.match(/^\/api\/instances\/StoragePool::([0-9a-f]+)$/))) return [200, this.poolJson(this.pool(m[1]))];
      if ((m = path.match(/^\/api\/instances\/StoragePool::([0-9a-f]+)\/relationships\/Statistics$/))) {
        return [200, await this.poolStatistics(this.pool(m[1]))];
      }
      if ((m = path.match(/^\/api\/instances\/StoragePool::([0-9a-f]+)\/relationships\/Volume$/))) {
        const pool = this.pool(m[1]);
        return [200, this.sorted([...this.volumes.values()].filter((v) => v.storagePoolId === pool.id)).map((v) => this.volumeJson(v))];
      }
      if (path === '/api/types/Volume/instances') return [200, this.sorted([...this.volumes.values()]).map((v) => this.volumeJson(v))];
      if ((m = path.match(/^\/api\/instances\/Volume::([0-9a-f]+)$/))) return [200, this.volumeJson(this.volume(m[1]))];
      if ((m = path.match(/^\/api\/instances\/VTree::([0-9a-f]+)$/))) return [200, this.vtreeJson(this.poll(this.vtree(m[1])))];
      if ((m = path.match(/^\/api\/instances\/VTree::([0-9a-f]+)\/relationships\/Volume$/))) {
        const tree = this.vtree(m[1]);
        return [200, this.members(tree).map((v) => this.volumeJson(v))];
      }
      if ((m = path.match(/^\/api\/instances\/VTree::([0-9a-f]+)\/relationships\/Statistics$/))) {
        return [200, await this.vtreeStatistics(this.vtree(m[1]))];
      }
      if (path === '/api/types/Sdc/instances') return [200, [...this.sdcs.values()].map((s) => this.sdcJson(s))];
      if ((m = path.match(/^\/api\/instances\/Sdc::([0-9a-f]+)$/))) return [200, this.sdcJson(this.sdc(m[1]))];
    }
    if (method === 'POST') {
      if (path === '/api/types/Volume/instances') return [200, await this.createVolume(body)];
      if (path === '/api/types/Volume/instances/action/queryIdByKey') {
        const name = str(body, 'name');
        const volume = [...this.volumes.values()].find((v) => v.name === name);
        if (volume === undefined) throw notFound('Not found');
        return [200, volume.id];
      }
      if (path === '/api/types/Volume/instances/action/queryBySelectedIds') {
        const ids = body.ids;
        if (!Array.isArray(ids)) throw badRequest('The following parameter(s) must be part of the request body: ids.');
        return [200, ids.map((id) => this.volumes.get(String(id))).filter((v): v is Volume => v !== undefined).map((v) => this.volumeJson(v))];
      }
      if (path === '/api/types/Sdc/instances/action/queryIdByKey') {
        const ip = optStr(body, 'ip');
        const name = optStr(body, 'name');
        const sdc = [...this.sdcs.values()].find((s) => (ip !== undefined && s.ip === ip) || (name !== undefined && s.name === name));
        if (sdc === undefined) throw notFound('Not found');
        return [200, sdc.id];
      }
      if ((m = path.match(/^\/api\/instances\/System(?:::([0-9a-f]+))?\/action\/snapshotVolumes$/))) {
        if (m[1] !== undefined) this.systemJson(m[1]);
        return [200, await this.snapshotVolumes(body)];
      }
      if ((m = path.match(/^\/api\/instances\/System::([0-9a-f]+)\/action\/removeConsistencyGroupSnapshots$/))) {
        this.systemJson(m[1]);
        return [200, await this.removeGroup(str(body, 'snapGroupId'))];
      }
      if ((m = path.match(/^\/api\/instances\/Volume::([0-9a-f]+)\/action\/(\w+)$/))) {
        return [200, await this.volumeAction(this.volume(m[1]), m[2] as string, body)];
      }
    }
    throw new ApiError(404, `No such resource: ${method} ${path}`, 0);
  }

  // ---- auth ------------------------------------------------------------

  private login(authorization: string | undefined): string {
    const decoded = basic(authorization);
    if (decoded === undefined || decoded.user !== this.username || decoded.password !== this.password) {
      throw new ApiError(401, 'Unauthorized', 0);
    }
    const token = randomBytes(24).toString('base64url');
    const now = Date.now();
    this.tokens.set(token, { created: now, lastUsed: now });
    this.logins += 1;
    return token;
  }

  /** Any user name with a live token as the password (CloudStack sends user:token, goscaleio :token). */
  private authenticate(authorization: string | undefined): void {
    const token = tokenOf(authorization);
    const entry = token === undefined ? undefined : this.tokens.get(token);
    const now = Date.now();
    if (entry === undefined || now - entry.lastUsed > this.idleMs || now - entry.created > this.lifetimeMs) {
      if (token !== undefined) this.tokens.delete(token);
      throw new ApiError(401, 'Unauthorized', 0);
    }
    entry.lastUsed = now;
  }

  private parseBody(raw: string): Record<string, unknown> {
    if (raw.trim() === '') return {};
    const parsed = parseJson(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('the body must be a JSON object.');
    return parsed as Record<string, unknown>;
  }

  // ---- lookups -----------------------------------------------------------

  private pd(id: string | undefined): { id: string; name: string } {
    const pd = this.protectionDomains.get(id ?? '');
    if (pd === undefined) throw notFound(`Could not find the protection domain`, 3);
    return pd;
  }
  private pool(id: string | undefined): Pool {
    const pool = this.pools.get(id ?? '');
    if (pool === undefined) throw notFound('Could not find the storage pool', 3);
    return pool;
  }
  private volume(id: string | undefined): Volume {
    const volume = this.volumes.get(id ?? '');
    if (volume === undefined) throw notFound('Could not find the volume', 79);
    return volume;
  }
  private vtree(id: string | undefined): VTree {
    const tree = this.vtrees.get(id ?? '');
    if (tree === undefined) throw notFound('Could not find the VTree', 3);
    return tree;
  }
  private sdc(id: string | undefined): { id: string; name: string; ip: string; guid: string } {
    const sdc = this.sdcs.get((id ?? '').toLowerCase());
    if (sdc === undefined) throw notFound('Could not find the SDC', 3);
    return sdc;
  }
  private members(tree: VTree): Volume[] {
    return this.sorted([...this.volumes.values()].filter((v) => v.vtreeId === tree.id));
  }
  private sorted(volumes: Volume[]): Volume[] {
    return volumes.sort((a, b) => a.seq - b.seq);
  }

  // ---- volumes -----------------------------------------------------------

  private checkName(name: string): void {
    if (!NAME.test(name)) throw domainError(E.invalidName);
    if (name.length > MAX_NAME) throw domainError(E.nameTooLong);
    if ([...this.volumes.values()].some((v) => v.name === name)) throw domainError(E.nameInUse);
  }

  private async createVolume(body: Record<string, unknown>): Promise<{ id: string }> {
    const name = optStr(body, 'name');
    const pool = this.pool(str(body, 'storagePoolId'));
    const pdId = optStr(body, 'protectionDomainId');
    if (pdId !== undefined && pdId !== pool.protectionDomainId) throw badRequest('protectionDomainId does not hold the storage pool.');
    const type = optStr(body, 'volumeType') ?? 'ThinProvisioned';
    if (type !== 'ThinProvisioned' && type !== 'ThickProvisioned') throw badRequest('volumeType must be ThinProvisioned or ThickProvisioned.');
    let kb: number;
    const inKb = optStr(body, 'volumeSizeInKb');
    const inGb = optStr(body, 'volumeSizeInGb');
    if (inKb !== undefined) kb = integer(inKb, 'volumeSizeInKb');
    else if (inGb !== undefined) kb = integer(inGb, 'volumeSizeInGb') * (GiB / KiB);
    else throw badRequest('The following parameter(s) must be part of the request body: volumeSizeInKb.');
    if (kb <= 0 || kb > MAX_VOLUME_KB) throw domainError(E.sizeIllegal);
    // The array rounds a create up to the next 8 GiB block.
    kb = Math.ceil(kb / BLOCK_KB) * BLOCK_KB;
    if (name !== undefined) this.checkName(name);
    await this.checkCapacity(pool, kb, type === 'ThickProvisioned');

    const id = hexId();
    const tree: VTree = {
      id: hexId(),
      name: name ?? null,
      baseVolumeId: id,
      storagePoolId: pool.id,
      migration: { status: 'NotInMigration', sourceStoragePoolId: null, destinationStoragePoolId: null, pollsLeft: 0 },
    };
    const volume: Volume = {
      id,
      name: name ?? null,
      volumeType: type,
      thick: type === 'ThickProvisioned',
      storagePoolId: pool.id,
      vtreeId: tree.id,
      ancestorVolumeId: null,
      consistencyGroupId: null,
      sizeInKb: kb,
      creationTime: Math.floor(Date.now() / 1000),
      accessModeLimit: 'ReadWrite',
      mappings: new Map(),
      seq: ++this.seq,
    };
    const handle = await fsp.open(this.file(id), 'wx');
    try {
      await handle.truncate(kb * KiB);
    } finally {
      await handle.close();
    }
    this.vtrees.set(tree.id, tree);
    this.volumes.set(id, volume);
    return { id };
  }

  /** Thick volumes need the space now; thin ones may over-provision the pool up to 10 times (PowerFlex's limit). */
  private async checkCapacity(pool: Pool, kb: number, thick: boolean): Promise<void> {
    const stats = await this.poolStatistics(pool);
    if (thick ? kb > stats.capacityAvailableForVolumeAllocationInKb : stats.provisionedKb + kb > stats.volumeAllocationLimitInKb) {
      throw domainError(E.capacity);
    }
  }

  private async snapshotVolumes(body: Record<string, unknown>): Promise<{ snapshotGroupId: string; volumeIdList: string[] }> {
    const defs = body.snapshotDefs;
    if (!Array.isArray(defs) || defs.length === 0) throw badRequest('The following parameter(s) must be part of the request body: snapshotDefs.');
    const access = optStr(body, 'accessModeLimit') ?? 'ReadWrite';
    if (access !== 'ReadWrite' && access !== 'ReadOnly') throw badRequest('accessModeLimit must be ReadWrite or ReadOnly.');
    const plan = defs.map((def: unknown) => {
      if (typeof def !== 'object' || def === null) throw badRequest('snapshotDefs entries must be objects.');
      const source = this.volume(str(def as Record<string, unknown>, 'volumeId'));
      const name = optStr(def as Record<string, unknown>, 'snapshotName');
      return { source, name };
    });
    // All or nothing: every rule is checked before the first snapshot is made.
    const names = plan.map((p) => p.name).filter((n): n is string => n !== undefined);
    if (new Set(names).size !== names.length) throw domainError(E.nameInUse);
    for (const name of names) this.checkName(name);
    const perTree = new Map<string, number>();
    for (const { source } of plan) perTree.set(source.vtreeId, (perTree.get(source.vtreeId) ?? 0) + 1);
    for (const [treeId, adding] of perTree) {
      const tree = this.vtree(treeId);
      if (this.members(tree).length + adding > MAX_VTREE) throw domainError(E.tooManySnaps);
    }
    const groupId = hexId();
    const ids: string[] = [];
    for (const { source, name } of plan) {
      const id = hexId();
      await sparseCopy(this.file(source.id), this.file(id));
      this.volumes.set(id, {
        id,
        name: name ?? null,
        volumeType: 'Snapshot',
        thick: source.thick,
        storagePoolId: source.storagePoolId,
        vtreeId: source.vtreeId,
        ancestorVolumeId: source.id,
        consistencyGroupId: groupId,
        sizeInKb: source.sizeInKb,
        creationTime: Math.floor(Date.now() / 1000),
        accessModeLimit: access,
        mappings: new Map(),
        seq: ++this.seq,
      });
      ids.push(id);
    }
    return { snapshotGroupId: groupId, volumeIdList: ids };
  }

  private async removeGroup(groupId: string): Promise<{ numberOfVolumes: number }> {
    const members = [...this.volumes.values()].filter((v) => v.consistencyGroupId === groupId && v.volumeType === 'Snapshot');
    if (members.length === 0) throw notFound('Could not find the snapshot group', 3);
    if (members.some((v) => v.mappings.size > 0)) throw domainError(E.mapped);
    for (const member of members) await this.remove([member]);
    return { numberOfVolumes: members.length };
  }

  private async volumeAction(volume: Volume, action: string, body: Record<string, unknown>): Promise<unknown> {
    switch (action) {
      case 'setVolumeName': {
        const name = str(body, 'newName');
        if (name !== volume.name) this.checkName(name);
        volume.name = name;
        return undefined;
      }
      case 'setVolumeSize': {
        const gb = integer(str(body, 'sizeInGB'), 'sizeInGB');
        const kb = gb * (GiB / KiB);
        if (gb <= 0 || kb % BLOCK_KB !== 0 || kb > MAX_VOLUME_KB) throw domainError(E.sizeIllegal);
        if (kb < volume.sizeInKb) throw domainError(E.decrease);
        if (kb > volume.sizeInKb) {
          await this.checkCapacity(this.pool(volume.storagePoolId), kb - volume.sizeInKb, volume.volumeType === 'ThickProvisioned');
          await fsp.truncate(this.file(volume.id), kb * KiB);
          volume.sizeInKb = kb;
        }
        return undefined;
      }
      case 'removeVolume':
        return this.removeVolume(volume, str(body, 'removeMode'));
      case 'overwriteVolumeContent': {
        const source = this.volume(str(body, 'srcVolumeId'));
        if (source.id === volume.id) throw domainError(E.sameVolume);
        if (source.vtreeId !== volume.vtreeId) throw domainError(E.vtreeMismatch);
        if (source.sizeInKb > volume.sizeInKb) throw domainError(E.srcLarger);
        await sparseCopy(this.file(source.id), this.file(volume.id));
        // The destination keeps its own size; past the source's end it reads zeros.
        await fsp.truncate(this.file(volume.id), volume.sizeInKb * KiB);
        return undefined;
      }
      case 'addMappedSdc': {
        const sdc = this.sdcFromBody(body);
        if (volume.mappings.has(sdc.id)) throw domainError(E.alreadyMapped);
        if (volume.mappings.size > 0 && !flag(body, 'allowMultipleMappings')) throw domainError(E.oneMapping);
        volume.mappings.set(sdc.id, { sdcId: sdc.id, limitIops: 0, limitBwInKbps: 0 });
        await fsp.symlink(this.file(volume.id), this.devicePath(sdc.id, volume.id)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
        });
        return undefined;
      }
      case 'removeMappedSdc': {
        if (body.allSdcs !== undefined) {
          for (const sdcId of [...volume.mappings.keys()]) await this.unmap(volume, sdcId);
          return undefined;
        }
        const sdc = this.sdcFromBody(body);
        if (!volume.mappings.has(sdc.id)) throw domainError(E.notMapped);
        await this.unmap(volume, sdc.id);
        return undefined;
      }
      case 'setMappedSdcLimits': {
        const sdc = this.sdcFromBody(body);
        const mapping = volume.mappings.get(sdc.id);
        if (mapping === undefined) throw domainError(E.notMapped);
        const iops = optStr(body, 'iopsLimit');
        const bw = optStr(body, 'bandwidthLimitInKbps');
        const iopsValue = iops === undefined ? mapping.limitIops : integer(iops, 'iopsLimit');
        const bwValue = bw === undefined ? mapping.limitBwInKbps : integer(bw, 'bandwidthLimitInKbps');
        if (iopsValue !== 0 && iopsValue <= 10) throw domainError(E.iopsLimit);
        if (bwValue % 1024 !== 0) throw domainError(E.bwLimit);
        mapping.limitIops = iopsValue;
        mapping.limitBwInKbps = bwValue;
        return undefined;
      }
      case 'migrateVTree':
        return this.migrateVTree(volume, body);
      default:
        throw new ApiError(404, `Unknown action ${action}`, 0);
    }
  }

  private sdcFromBody(body: Record<string, unknown>): { id: string; name: string; ip: string; guid: string } {
    const sdcId = optStr(body, 'sdcId');
    const guid = optStr(body, 'guid');
    if (sdcId !== undefined) return this.sdc(sdcId);
    const byGuid = [...this.sdcs.values()].find((s) => s.guid === guid);
    if (byGuid === undefined) throw badRequest('The following parameter(s) must be part of the request body: sdcId.');
    return byGuid;
  }

  private async unmap(volume: Volume, sdcId: string): Promise<void> {
    volume.mappings.delete(sdcId);
    await fsp.unlink(this.devicePath(sdcId, volume.id)).catch(() => undefined);
  }

  private async removeVolume(volume: Volume, mode: string): Promise<undefined> {
    const tree = this.vtree(volume.vtreeId);
    const all = this.members(tree);
    const descendants = (root: Volume): Volume[] => {
      const out: Volume[] = [];
      const walk = (id: string): void => {
        for (const child of all.filter((v) => v.ancestorVolumeId === id)) {
          out.push(child);
          walk(child.id);
        }
      };
      walk(root.id);
      return out;
    };
    let doomed: Volume[];
    switch (mode.toUpperCase()) {
      case 'ONLY_ME':
        doomed = [volume];
        break;
      case 'INCLUDING_DESCENDANTS':
        doomed = [volume, ...descendants(volume)];
        break;
      case 'DESCENDANTS_ONLY':
        doomed = descendants(volume);
        break;
      case 'WHOLE_VTREE':
        doomed = all;
        break;
      default:
        throw badRequest('removeMode must be ONLY_ME, INCLUDING_DESCENDANTS, DESCENDANTS_ONLY or WHOLE_VTREE.');
    }
    if (doomed.some((v) => v.mappings.size > 0)) throw domainError(E.mapped);
    await this.remove(doomed);
    return undefined;
  }

  /** Removes volumes; the children of a removed one move up to its ancestor, as ONLY_ME does on the array. */
  private async remove(doomed: Volume[]): Promise<void> {
    for (const volume of doomed) {
      this.volumes.delete(volume.id);
      for (const other of this.volumes.values()) {
        if (other.ancestorVolumeId === volume.id) other.ancestorVolumeId = volume.ancestorVolumeId;
      }
      const tree = this.vtrees.get(volume.vtreeId);
      if (tree !== undefined && tree.baseVolumeId === volume.id) tree.baseVolumeId = null;
      await fsp.unlink(this.file(volume.id)).catch(() => undefined);
    }
    for (const treeId of new Set(doomed.map((v) => v.vtreeId))) {
      if (![...this.volumes.values()].some((v) => v.vtreeId === treeId)) this.vtrees.delete(treeId);
    }
  }

  private async migrateVTree(volume: Volume, body: Record<string, unknown>): Promise<undefined> {
    const destination = this.pool(str(body, 'destSPId'));
    const conversion = optStr(body, 'volTypeConversion') ?? 'NoConversion';
    if (!['NoConversion', 'ThickToThin', 'ThinToThick'].includes(conversion)) throw badRequest('volTypeConversion is not valid.');
    const tree = this.vtree(volume.vtreeId);
    if (tree.migration.status !== 'NotInMigration') throw domainError(E.inMigration);
    if (tree.storagePoolId === destination.id) throw domainError(E.onDestination);
    const members = this.members(tree);
    const thickKb = members.filter((v) => v.volumeType === 'ThickProvisioned').reduce((sum, v) => sum + v.sizeInKb, 0);
    if (thickKb > 0) await this.checkCapacity(destination, thickKb, true);
    tree.migration = {
      status: 'PendingMigration',
      sourceStoragePoolId: tree.storagePoolId,
      destinationStoragePoolId: destination.id,
      pollsLeft: this.migrationPolls,
    };
    return undefined;
  }

  /** Each look at a migrating VTree moves it one step; after migrationPolls it is on the destination. */
  private poll(tree: VTree): VTree {
    const migration = tree.migration;
    if (migration.status === 'NotInMigration' || migration.destinationStoragePoolId === null) return tree;
    migration.pollsLeft -= 1;
    if (migration.pollsLeft > 0) {
      migration.status = 'MigrationNormal';
      return tree;
    }
    tree.storagePoolId = migration.destinationStoragePoolId;
    for (const member of this.members(tree)) member.storagePoolId = migration.destinationStoragePoolId;
    migration.status = 'NotInMigration';
    return tree;
  }

  // ---- statistics --------------------------------------------------------

  private async allocatedKb(volume: Volume): Promise<number> {
    if (volume.thick && volume.volumeType === 'ThickProvisioned') return volume.sizeInKb;
    try {
      const stats = await fsp.stat(this.file(volume.id));
      return Math.min(volume.sizeInKb, Math.ceil((stats.blocks * 512) / KiB));
    } catch {
      return 0;
    }
  }

  private async poolStatistics(pool: Pool): Promise<Record<string, number | string[]> & {
    capacityAvailableForVolumeAllocationInKb: number;
    volumeAllocationLimitInKb: number;
    provisionedKb: number;
  }> {
    const volumes = [...this.volumes.values()].filter((v) => v.storagePoolId === pool.id);
    let net = 0;
    let thick = 0;
    let thin = 0;
    let snap = 0;
    for (const volume of volumes) {
      const allocated = await this.allocatedKb(volume);
      net += allocated;
      if (volume.volumeType === 'ThickProvisioned') thick += volume.sizeInKb;
      else if (volume.volumeType === 'ThinProvisioned') thin += volume.sizeInKb;
      else snap += allocated;
    }
    const spare = Math.floor((pool.capacityKb * pool.sparePercentage) / 100);
    // Two copies of every block (mesh mirroring): half of what is not spare holds data.
    const usable = Math.floor((pool.capacityKb - spare) / 2);
    const unused = Math.max(0, usable - net);
    const provisioned = volumes.filter((v) => v.volumeType !== 'Snapshot').reduce((sum, v) => sum + v.sizeInKb, 0);
    return {
      maxCapacityInKb: pool.capacityKb,
      spareCapacityInKb: spare,
      capacityLimitInKb: pool.capacityKb,
      capacityInUseInKb: net * 2,
      netCapacityInUseInKb: net,
      netUnusedCapacityInKb: unused,
      netProvisionedAddressesInKb: net,
      capacityAvailableForVolumeAllocationInKb: Math.floor(unused / BLOCK_KB) * BLOCK_KB,
      volumeAllocationLimitInKb: usable * 10,
      thickCapacityInUseInKb: thick,
      thinCapacityAllocatedInKb: thin,
      snapCapacityInUseInKb: snap,
      numOfVolumes: volumes.length,
      numOfVtrees: new Set(volumes.map((v) => v.vtreeId)).size,
      volumeIds: volumes.map((v) => v.id),
      provisionedKb: provisioned,
    };
  }

  private async vtreeStatistics(tree: VTree): Promise<Record<string, number | string[]>> {
    const members = this.members(tree);
    let net = 0;
    let base = 0;
    for (const member of members) {
      const allocated = await this.allocatedKb(member);
      net += allocated;
      if (member.id === tree.baseVolumeId) base = allocated;
    }
    return {
      netProvisionedAddressesInKb: net,
      baseNetCapacityInUseInKb: base,
      snapNetCapacityInUseInKb: net - base,
      netCapacityInUseInKb: net,
      numOfVolumes: members.filter((v) => v.volumeType !== 'Snapshot').length,
      numOfSnapshots: members.filter((v) => v.volumeType === 'Snapshot').length,
      volumeIds: members.map((v) => v.id),
    };
  }

  // ---- JSON shapes ---------------------------------------------------------

  private systemJson(id?: string): Record<string, unknown> {
    if (id !== undefined && id !== this.systemId) throw notFound('Could not find the system', 3);
    return {
      id: this.systemId,
      name: 'strata-sim',
      systemVersionName: `DellEMC PowerFlex Version: R${this.version.replace('.', '_')}.0`,
      mdmCluster: { clusterState: 'ClusteredNormal', clusterMode: 'ThreeNodes' },
      links: [{ rel: 'self', href: `/api/instances/System::${this.systemId}` }],
    };
  }

  private pdJson(pd: { id: string; name: string }): Record<string, unknown> {
    return {
      id: pd.id,
      name: pd.name,
      systemId: this.systemId,
      protectionDomainState: 'Active',
      links: [
        { rel: 'self', href: `/api/instances/ProtectionDomain::${pd.id}` },
        { rel: '/api/parent/relationship/systemId', href: `/api/instances/System::${this.systemId}` },
      ],
    };
  }

  private poolJson(pool: Pool): Record<string, unknown> {
    return {
      id: pool.id,
      name: pool.name,
      protectionDomainId: pool.protectionDomainId,
      zeroPaddingEnabled: true,
      sparePercentage: pool.sparePercentage,
      dataLayout: 'MediumGranularity',
      links: [
        { rel: 'self', href: `/api/instances/StoragePool::${pool.id}` },
        { rel: '/api/StoragePool/relationship/Statistics', href: `/api/instances/StoragePool::${pool.id}/relationships/Statistics` },
        { rel: '/api/StoragePool/relationship/Volume', href: `/api/instances/StoragePool::${pool.id}/relationships/Volume` },
        { rel: '/api/parent/relationship/protectionDomainId', href: `/api/instances/ProtectionDomain::${pool.protectionDomainId}` },
      ],
    };
  }

  private volumeJson(volume: Volume): Record<string, unknown> {
    const mapped = [...volume.mappings.values()].map((m) => {
      const sdc = this.sdcs.get(m.sdcId);
      return {
        sdcId: m.sdcId,
        sdcIp: sdc?.ip,
        sdcName: sdc?.name,
        limitIops: m.limitIops,
        // Set in Kbps (KB/s), reported in Mbps.
        limitBwInMbps: m.limitBwInKbps / 1024,
        accessMode: volume.accessModeLimit,
      };
    });
    return {
      id: volume.id,
      name: volume.name,
      volumeType: volume.volumeType,
      storagePoolId: volume.storagePoolId,
      vtreeId: volume.vtreeId,
      ancestorVolumeId: volume.ancestorVolumeId,
      consistencyGroupId: volume.consistencyGroupId,
      sizeInKb: volume.sizeInKb,
      creationTime: volume.creationTime,
      accessModeLimit: volume.accessModeLimit,
      mappedSdcInfo: mapped.length === 0 ? null : mapped,
      mappingToAllSdcsEnabled: false,
      useRmcache: false,
      links: [
        { rel: 'self', href: `/api/instances/Volume::${volume.id}` },
        { rel: '/api/Volume/relationship/Statistics', href: `/api/instances/Volume::${volume.id}/relationships/Statistics` },
        { rel: '/api/parent/relationship/vtreeId', href: `/api/instances/VTree::${volume.vtreeId}` },
        { rel: '/api/parent/relationship/storagePoolId', href: `/api/instances/StoragePool::${volume.storagePoolId}` },
      ],
    };
  }

  private vtreeJson(tree: VTree): Record<string, unknown> {
    const m = tree.migration;
    return {
      id: tree.id,
      name: tree.name,
      baseVolumeId: tree.baseVolumeId,
      storagePoolId: tree.storagePoolId,
      dataLayout: 'MediumGranularity',
      vtreeMigrationInfo: {
        sourceStoragePoolId: m.sourceStoragePoolId,
        destinationStoragePoolId: m.destinationStoragePoolId,
        migrationStatus: m.status,
        migrationPauseReason: null,
        migrationQueuePosition: m.status === 'NotInMigration' ? 0 : 1,
        thicknessConversionType: null,
      },
      links: [
        { rel: 'self', href: `/api/instances/VTree::${tree.id}` },
        { rel: '/api/VTree/relationship/Statistics', href: `/api/instances/VTree::${tree.id}/relationships/Statistics` },
        { rel: '/api/VTree/relationship/Volume', href: `/api/instances/VTree::${tree.id}/relationships/Volume` },
        { rel: '/api/parent/relationship/storagePoolId', href: `/api/instances/StoragePool::${tree.storagePoolId}` },
      ],
    };
  }

  private sdcJson(sdc: { id: string; name: string; ip: string; guid: string }): Record<string, unknown> {
    return {
      id: sdc.id,
      name: sdc.name,
      sdcIp: sdc.ip,
      sdcGuid: sdc.guid,
      mdmConnectionState: 'Connected',
      sdcApproved: true,
      systemId: this.systemId,
      links: [
        { rel: 'self', href: `/api/instances/Sdc::${sdc.id}` },
        { rel: '/api/parent/relationship/systemId', href: `/api/instances/System::${this.systemId}` },
      ],
    };
  }

  // ---- files ---------------------------------------------------------------

  private file(id: string): string {
    return join(this.options.dataDir, 'volumes', `${id}.img`);
  }
  private sdcDir(sdcId: string): string {
    return join(this.options.dataDir, `sdc-${sdcId}`);
  }
  private devicePath(sdcId: string, volumeId: string): string {
    return join(this.sdcDir(sdcId), `emc-vol-${this.systemId}-${volumeId}`);
  }
}

// ---- request helpers --------------------------------------------------------

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('the body is not JSON.');
  }
}

function basic(authorization: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(authorization ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** 3.x: Basic with the token as password; 4.x clients send Bearer. */
function tokenOf(authorization: string | undefined): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  if (bearer !== null) return bearer[1];
  return basic(authorization)?.password;
}

/** The gateway takes every value as a string, numbers included. */
function str(body: Record<string, unknown>, key: string): string {
  const value = optStr(body, key);
  if (value === undefined) throw badRequest(`The following parameter(s) must be part of the request body: ${key}.`);
  return value;
}
function optStr(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${key} must be a string.`);
  return value;
}
function integer(value: string, key: string): number {
  if (!/^\d+$/.test(value)) throw badRequest(`${key} must be a non-negative integer.`);
  return Number(value);
}
function flag(body: Record<string, unknown>, key: string): boolean {
  const value = body[key];
  return typeof value === 'string' && value.toUpperCase() === 'TRUE';
}
