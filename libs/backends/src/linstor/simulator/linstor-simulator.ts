import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { CODE, RC, rcCode, rcType, retCode, stringifyLinstorJson } from '../linstor.errors';
import { allocatedBytes, sparseCopy, sparseFile } from '../../sparse/sparse-files';

/**
 * A LINSTOR controller for tests and demos: the subset of REST API v1 the driver uses, with
 * the spec's JSON shapes, ApiCallRc replies with real ret_code bits, HTTP status from the
 * first error's code (ApiCallRcRestUtils), and the controller's rules (names, spawn and
 * autoplace, KiB sizes, delete refused with snapshots, WARN_NOT_FOUND on missing deletes).
 *
 * Data path: the replicas of a resource are DRBD mirrors, so ONE sparse file per volume
 * (volumes/<rd>_<nr>.img) stands for all of them; every resource of the RD, diskful or
 * diskless, reports that file as its device_path (a real node reports
 * /dev/drbd/by-res/<rd>/<nr>). Snapshots are sparse copies (snapshots/<rd>/<snap>_<nr>.img).
 * Capacity is per node and pool: a thin pool is charged what the files really allocate,
 * a thick one their full size, on every node that holds a replica or a snapshot.
 */

export type ProviderKind = 'DISKLESS' | 'LVM' | 'LVM_THIN' | 'ZFS' | 'ZFS_THIN' | 'FILE' | 'FILE_THIN';
export type SimFault = '5xx' | 'timeout' | '401';

export interface SimPoolSpec {
  readonly name: string;
  readonly provider: ProviderKind;
  readonly totalKib: number;
}

export interface SimNodeSpec {
  readonly name: string;
  /** Diskful pools; every node also gets DfltDisklessStorPool, as LINSTOR creates it. */
  readonly pools: readonly SimPoolSpec[];
}

export interface SimResourceGroupSpec {
  readonly name: string;
  readonly placeCount?: number;
  readonly storagePools?: readonly string[];
}

/** One request and its reply, for the contract check. */
export interface SimExchange {
  readonly method: string;
  readonly url: string;
  readonly requestBody: string;
  readonly status: number;
  readonly responseBody: string;
  /** Set when the reply was an injected fault rather than the controller's own answer. */
  readonly fault?: SimFault;
}

export interface LinstorSimulatorOptions {
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Default: node1..node3, each with an LVM_THIN pool 'data' of 1 TiB. */
  readonly nodes?: readonly SimNodeSpec[];
  /** Nodes without storage (hypervisors that only attach diskless). */
  readonly disklessNodes?: readonly string[];
  /** Default: 'strata-rg' with place_count 2 over pool 'data'. */
  readonly resourceGroups?: readonly SimResourceGroupSpec[];
  /** When set, token auth is on (Auth/TokenAuthenticationEnabled): requests need this bearer token. */
  readonly token?: string;
  /** How long a 'timeout' fault holds the request before dropping it. */
  readonly faultHoldMs?: number;
  /** How long a clone stays CLONING before its copy is made. */
  readonly cloneDelayMs?: number;
  readonly onExchange?: (exchange: SimExchange) => void;
}

export interface LinstorSimulator {
  readonly url: string;
  close(): Promise<void>;
  readonly faults: { inject(fault: SimFault, times: number): void };
  /** Test hook: marks a resource in use (DRBD Primary) on a node, as a running VM would. */
  setInUse(resource: string, node: string, inUse: boolean): void;
}

export const DEFAULT_POOL_KIB = 1024 ** 3; // 1 TiB
const DISKLESS_POOL = 'DfltDisklessStorPool';
/** LINSTOR's default MaxOversubscriptionRatio for thin pools. */
const OVERSUBSCRIPTION = 20;
const MAX_VLM_SIZE_KIB = 2 ** 40; // 1 PiB, DRBD 9's largest device

interface SimPool extends SimPoolSpec {
  readonly node: string;
  readonly uuid: string;
}
interface SimNode {
  readonly name: string;
  readonly pools: Map<string, SimPool>;
  readonly uuid: string;
}
interface SimRg {
  readonly name: string;
  readonly selectFilter: { place_count?: number; storage_pool_list?: string[] };
  readonly props: Record<string, string>;
  readonly uuid: string;
}
interface SimVd {
  readonly nr: number;
  sizeKib: number;
  readonly props: Record<string, string>;
  readonly uuid: string;
}
interface SimResource {
  readonly node: string;
  readonly pool: string;
  readonly provider: ProviderKind;
  readonly diskless: boolean;
  readonly uuid: string;
  readonly createTs: number;
  inUse: boolean;
}
interface SimSnapshot {
  readonly name: string;
  /** node -> pool the snapshot lives in */
  readonly placement: Map<string, { pool: string; provider: ProviderKind }>;
  readonly sizes: Map<number, number>;
  readonly createTs: number;
  readonly uuid: string;
}
interface SimRd {
  readonly name: string;
  readonly rg: string;
  readonly props: Record<string, string>;
  flags: string[];
  readonly uuid: string;
  readonly vds: Map<number, SimVd>;
  readonly resources: Map<string, SimResource>;
  readonly snapshots: Map<string, SimSnapshot>;
}

interface Rc {
  ret_code: bigint;
  message: string;
  cause?: string;
  details?: string;
  correction?: string;
  obj_refs?: Record<string, string>;
}

class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** Path words followed by a name. */
const PARAM_PARENTS = new Set(['resource-definitions', 'resource-groups', 'resources', 'snapshots', 'volume-definitions', 'snapshot-rollback', 'snapshot-restore-volume-definition', 'snapshot-restore-resource', 'clone']);

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{1,47}$/;

function validName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name) && /[A-Za-z]/.test(name);
}

function info(code: number, op: bigint, obj: bigint, message: string, refs?: Record<string, string>): Rc {
  return { ret_code: retCode('success', code, op, obj), message, ...(refs ? { obj_refs: refs } : {}) };
}
function fail(code: number, message: string, extra: Partial<Rc> = {}): Rc {
  return { ret_code: retCode('error', code), message, ...extra };
}
function warn(code: number, message: string): Rc {
  return { ret_code: retCode('warning', code), message };
}

/** ApiCallRcRestUtils.toResponse: the first error decides; else 201 for creates, 200 otherwise. */
function rcReply(rcs: Rc[], created = false): Reply {
  const error = rcs.find((rc) => rcType(rc.ret_code) === 'error');
  if (error === undefined) return new Reply(created ? 201 : 200, rcs);
  const code = rcCode(error.ret_code);
  const status = code >= 300 && code < 400 ? 404 : code >= 400 && code < 500 ? 403 : 500;
  return new Reply(status, rcs);
}

class Failure extends Error {
  constructor(readonly rc: Rc) {
    super(rc.message);
  }
}

export async function startLinstorSimulator(options: LinstorSimulatorOptions): Promise<LinstorSimulator> {
  const sim = new Controller(options);
  await sim.init();
  return sim.listen(options.port ?? 0, options.host ?? '127.0.0.1');
}

class Controller {
  private readonly nodes = new Map<string, SimNode>();
  private readonly rgs = new Map<string, SimRg>();
  private readonly rds = new Map<string, SimRd>();
  private readonly clones = new Map<string, 'CLONING' | 'COMPLETE' | 'FAILED'>();
  private readonly faults: { fault: SimFault; remaining: number }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<Promise<unknown>>();
  private lastTimestamp = 0;
  private server: Server | undefined;

  constructor(private readonly options: LinstorSimulatorOptions) {
    const nodes = options.nodes ?? ['node1', 'node2', 'node3'].map((name) => ({ name, pools: [{ name: 'data', provider: 'LVM_THIN' as const, totalKib: DEFAULT_POOL_KIB }] }));
    for (const spec of [...nodes, ...(options.disklessNodes ?? []).map((name) => ({ name, pools: [] }))]) {
      const pools = new Map<string, SimPool>();
      pools.set(DISKLESS_POOL.toUpperCase(), { name: DISKLESS_POOL, provider: 'DISKLESS', totalKib: 0, node: spec.name, uuid: randomUUID() });
      for (const pool of spec.pools) pools.set(pool.name.toUpperCase(), { ...pool, node: spec.name, uuid: randomUUID() });
      this.nodes.set(spec.name.toUpperCase(), { name: spec.name, pools, uuid: randomUUID() });
    }
    for (const rg of options.resourceGroups ?? [{ name: 'strata-rg', placeCount: 2, storagePools: ['data'] }]) {
      this.rgs.set(rg.name.toUpperCase(), {
        name: rg.name,
        selectFilter: { ...(rg.placeCount !== undefined ? { place_count: rg.placeCount } : {}), ...(rg.storagePools ? { storage_pool_list: [...rg.storagePools] } : {}) },
        props: {},
        uuid: randomUUID(),
      });
    }
  }

  async init(): Promise<void> {
    await mkdir(join(this.options.dataDir, 'volumes'), { recursive: true });
    await mkdir(join(this.options.dataDir, 'snapshots'), { recursive: true });
  }

  listen(port: number, host: string): Promise<LinstorSimulator> {
    const sockets = new Set<Socket>();
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address() as AddressInfo;
        const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
        resolve({
          url,
          faults: { inject: (fault, times) => this.faults.push({ fault, remaining: times }) },
          setInUse: (resource, node, inUse) => {
            const rsc = this.rds.get(resource.toUpperCase())?.resources.get(node.toUpperCase());
            if (rsc === undefined) throw new Error(`no resource ${resource} on ${node}`);
            rsc.inUse = inUse;
          },
          close: async () => {
            for (const timer of this.timers) clearTimeout(timer);
            this.timers.clear();
            for (const socket of sockets) socket.destroy();
            await new Promise<void>((done) => server.close(() => done()));
            await Promise.allSettled([...this.pending]);
          },
        });
      });
    });
  }

  // ---- HTTP plumbing ----------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const requestBody = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sim');
    const send = (status: number, body: unknown, fault?: SimFault, headers: Record<string, string> = {}): void => {
      const text = body === undefined ? '' : stringifyLinstorJson(body);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
      this.options.onExchange?.({ method, url: `${url.pathname}${url.search}`, requestBody, status, responseBody: text, ...(fault ? { fault } : {}) });
    };

    if (url.pathname === '/_sim/faults' && method === 'POST') {
      try {
        const { fault, times } = JSON.parse(requestBody) as { fault: SimFault; times: number };
        if (!['5xx', 'timeout', '401'].includes(fault) || !Number.isInteger(times) || times < 1) throw new Error('bad fault');
        this.faults.push({ fault, remaining: times });
        res.writeHead(204).end();
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('expected {"fault":"5xx"|"timeout"|"401","times":n}');
      }
      return;
    }

    const fault = this.faults[0];
    if (fault !== undefined && url.pathname.startsWith('/v1/')) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.faults.shift();
      if (fault.fault === 'timeout') {
        // Held past the client's timeout, then dropped unanswered.
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          res.destroy();
        }, this.options.faultHoldMs ?? 60_000);
        this.timers.add(timer);
        return;
      }
      if (fault.fault === '401') {
        send(401, [fail(CODE.FAIL_ACC_DENIED_COMMAND, 'Invalid authentication token')], '401', { 'www-authenticate': 'Bearer realm="linstor-controller"' });
        return;
      }
      // A controller that lost its database answers every mutation and query with FAIL_SQL.
      send(500, [fail(CODE.FAIL_SQL, 'A database error occurred (injected fault)', { cause: 'The database connection was lost' })], '5xx');
      return;
    }

    if (this.options.token !== undefined && url.pathname.startsWith('/v1/') && req.headers.authorization !== `Bearer ${this.options.token}`) {
      send(401, [fail(CODE.FAIL_ACC_DENIED_COMMAND, 'Invalid authentication token')], undefined, { 'www-authenticate': 'Bearer realm="linstor-controller"' });
      return;
    }

    let body: unknown = undefined;
    if (requestBody.trim() !== '') {
      try {
        body = JSON.parse(requestBody);
      } catch {
        send(400, [fail(CODE.FAIL_UNKNOWN_ERROR, 'Unable to parse the JSON request body')]);
        return;
      }
    }
    try {
      const reply = await this.route(method, url, body);
      send(reply.status, reply.body);
    } catch (error) {
      if (error instanceof Failure) {
        const reply = rcReply([error.rc]);
        send(reply.status, reply.body);
      } else {
        send(500, [fail(CODE.FAIL_UNKNOWN_ERROR, `Internal error: ${(error as Error).message}`)]);
      }
    }
  }

  private route(method: string, url: URL, body: unknown): Promise<Reply> | Reply {
    const p = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
    const q = url.searchParams;
    const key = `${method} /${this.shape(p).join('/')}`;
    const obj = (body ?? {}) as Record<string, unknown>;
    switch (key) {
      case 'GET /v1/controller/version':
        return new Reply(200, { version: '1.31.0', git_hash: 'simulator', build_time: '2026-01-01T00:00:00+00:00', rest_api_version: '1.28.0' });
      case 'GET /v1/nodes':
        return new Reply(200, this.listNodes(q.getAll('nodes')));
      case 'GET /v1/resource-groups':
        return new Reply(200, this.listRgs(q.getAll('resource_groups')));
      case 'GET /v1/view/storage-pools':
        return this.viewPools(q.getAll('nodes'), q.getAll('storage_pools'));
      case 'GET /v1/view/resources':
        return this.viewResources(q.getAll('resources'), q.getAll('nodes'));
      case 'GET /v1/view/snapshots':
        return new Reply(200, [...this.rds.values()].filter((rd) => this.filter(q.getAll('resources'), rd.name)).flatMap((rd) => [...rd.snapshots.values()].map((s) => this.snapshotJson(rd, s))));
      case 'GET /v1/resource-definitions':
        return new Reply(200, this.listRds(q.getAll('resource_definitions'), q.get('with_volume_definitions') === 'true'));
      case 'POST /v1/resource-definitions':
        return this.createRd(obj);
      case 'POST /v1/resource-groups/*/spawn':
        return this.spawn(p[2], obj);
      case 'PUT /v1/resource-definitions/*':
        return this.modifyRd(p[2], obj);
      case 'DELETE /v1/resource-definitions/*':
        return this.deleteRd(p[2]);
      case 'POST /v1/resource-definitions/*/autoplace':
        return this.autoplaceRd(p[2], obj);
      case 'PUT /v1/resource-definitions/*/volume-definitions/*':
        return this.modifyVd(p[2], p[4], obj);
      case 'POST /v1/resource-definitions/*/resources/*/make-available':
        return this.makeAvailable(p[2], p[4], obj);
      case 'DELETE /v1/resource-definitions/*/resources/*':
        return this.deleteResource(p[2], p[4]);
      case 'GET /v1/resource-definitions/*/snapshots':
        return new Reply(200, [...this.rd(p[2]).snapshots.values()].map((s) => this.snapshotJson(this.rd(p[2]), s)));
      case 'POST /v1/resource-definitions/*/snapshots':
        return this.createSnapshots([{ rd: p[2], name: obj.name }]);
      case 'DELETE /v1/resource-definitions/*/snapshots/*':
        return this.deleteSnapshot(p[2], p[4]);
      case 'POST /v1/actions/snapshot/multi':
        return this.createSnapshots(
          (Array.isArray(obj.snapshots) ? (obj.snapshots as Record<string, unknown>[]) : []).map((s) => ({ rd: String(s.resource_name), name: s.name })),
        );
      case 'POST /v1/resource-definitions/*/snapshot-rollback/*':
        return this.rollback(p[2], p[4]);
      case 'POST /v1/resource-definitions/*/snapshot-restore-volume-definition/*':
        return this.restoreVds(p[2], p[4], obj);
      case 'POST /v1/resource-definitions/*/snapshot-restore-resource/*':
        return this.restoreResources(p[2], p[4], obj);
      case 'POST /v1/resource-definitions/*/clone':
        return this.clone(p[2], obj);
      case 'GET /v1/resource-definitions/*/clone/*':
        return this.cloneStatus(p[2], p[4]);
      default:
        return new Reply(404, [fail(CODE.FAIL_UNKNOWN_ERROR, `No such endpoint in the simulator: ${method} ${url.pathname}`)]);
    }
  }

  /** The path with every name (resource, node, snapshot, group, volume number) replaced by '*'. */
  private shape(p: readonly string[]): string[] {
    const out: string[] = [];
    let previousWasParam = false;
    for (const [i, segment] of p.entries()) {
      const isParam: boolean = i >= 2 && !previousWasParam && PARAM_PARENTS.has(p[i - 1]);
      out.push(isParam ? '*' : segment);
      previousWasParam = isParam;
    }
    return out;
  }

  private filter(filter: readonly string[], name: string): boolean {
    return filter.length === 0 || filter.some((f) => f.toUpperCase() === name.toUpperCase());
  }

  private now(): number {
    // Strictly increasing, so that "newest snapshot" is never a tie.
    this.lastTimestamp = Math.max(Date.now(), this.lastTimestamp + 1);
    return this.lastTimestamp;
  }

  private rd(name: string): SimRd {
    const rd = this.rds.get(name.toUpperCase());
    if (rd === undefined) throw new Failure(fail(CODE.FAIL_NOT_FOUND_RSC_DFN, `Resource definition '${name}' not found.`));
    return rd;
  }

  private volumeFile(rd: SimRd, nr: number): string {
    return join(this.options.dataDir, 'volumes', `${rd.name}_${nr}.img`);
  }

  private snapshotFile(rd: SimRd, snapshot: string, nr: number): string {
    return join(this.options.dataDir, 'snapshots', rd.name, `${snapshot}_${nr}.img`);
  }

  // ---- capacity ----------------------------------------------------------------

  /** KiB a pool has given out: thin pools what the files allocate, thick pools the full sizes. */
  private async usedKib(pool: SimPool): Promise<number> {
    let used = 0;
    const thin = pool.provider.endsWith('_THIN');
    for (const rd of this.rds.values()) {
      const rsc = rd.resources.get(pool.node.toUpperCase());
      if (rsc !== undefined && !rsc.diskless && rsc.pool.toUpperCase() === pool.name.toUpperCase()) {
        for (const vd of rd.vds.values()) used += thin ? Math.ceil((await allocatedBytes(this.volumeFile(rd, vd.nr))) / 1024) : vd.sizeKib;
      }
      for (const snapshot of rd.snapshots.values()) {
        const where = snapshot.placement.get(pool.node.toUpperCase());
        if (where === undefined || where.pool.toUpperCase() !== pool.name.toUpperCase()) continue;
        for (const [nr, size] of snapshot.sizes) used += thin ? Math.ceil((await allocatedBytes(this.snapshotFile(rd, snapshot.name, nr))) / 1024) : size;
      }
    }
    return used;
  }

  private async freeKib(pool: SimPool): Promise<number> {
    return Math.max(0, pool.totalKib - (await this.usedKib(pool)));
  }

  // ---- listings -------------------------------------------------------------------

  private listNodes(filter: readonly string[]): unknown[] {
    return [...this.nodes.values()]
      .filter((node) => this.filter(filter, node.name))
      .map((node) => ({
        name: node.name,
        type: 'Satellite',
        flags: [],
        props: {},
        connection_status: 'ONLINE',
        uuid: node.uuid,
        storage_providers: ['DISKLESS', 'LVM', 'LVM_THIN', 'ZFS', 'ZFS_THIN', 'FILE', 'FILE_THIN'],
        resource_layers: ['DRBD', 'STORAGE'],
      }));
  }

  private listRgs(filter: readonly string[]): unknown[] {
    return [...this.rgs.values()]
      .filter((rg) => this.filter(filter, rg.name))
      .map((rg) => ({ name: rg.name, description: '', props: rg.props, select_filter: rg.selectFilter, uuid: rg.uuid }));
  }

  private async viewPools(nodes: readonly string[], pools: readonly string[]): Promise<Reply> {
    const out: unknown[] = [];
    for (const node of this.nodes.values()) {
      if (!this.filter(nodes, node.name)) continue;
      for (const pool of node.pools.values()) {
        if (!this.filter(pools, pool.name)) continue;
        const diskless = pool.provider === 'DISKLESS';
        out.push({
          storage_pool_name: pool.name,
          node_name: node.name,
          provider_kind: pool.provider,
          props: {},
          static_traits: { SupportsSnapshots: String(this.supportsSnapshots(pool.provider)) },
          ...(diskless ? {} : { free_capacity: await this.freeKib(pool), total_capacity: pool.totalKib }),
          free_space_mgr_name: `${node.name}:${pool.name}`,
          uuid: pool.uuid,
          supports_snapshots: this.supportsSnapshots(pool.provider),
          external_locking: false,
        });
      }
    }
    return new Reply(200, out);
  }

  private supportsSnapshots(provider: ProviderKind): boolean {
    return provider === 'LVM_THIN' || provider === 'ZFS' || provider === 'ZFS_THIN' || provider === 'FILE_THIN';
  }

  private rdJson(rd: SimRd, withVds: boolean): unknown {
    return {
      name: rd.name,
      props: rd.props,
      flags: rd.flags,
      uuid: rd.uuid,
      resource_group_name: rd.rg,
      ...(withVds ? { volume_definitions: [...rd.vds.values()].map((vd) => ({ volume_number: vd.nr, size_kib: vd.sizeKib, props: vd.props, flags: [], uuid: vd.uuid })) } : {}),
    };
  }

  private listRds(filter: readonly string[], withVds: boolean): unknown[] {
    return [...this.rds.values()].filter((rd) => this.filter(filter, rd.name)).map((rd) => this.rdJson(rd, withVds));
  }

  private async viewResources(resources: readonly string[], nodes: readonly string[]): Promise<Reply> {
    const out: unknown[] = [];
    for (const rd of this.rds.values()) {
      if (!this.filter(resources, rd.name)) continue;
      for (const rsc of rd.resources.values()) {
        if (!this.filter(nodes, rsc.node)) continue;
        const volumes = [];
        for (const vd of rd.vds.values()) {
          const file = this.volumeFile(rd, vd.nr);
          const thin = rsc.provider.endsWith('_THIN');
          volumes.push({
            volume_number: vd.nr,
            storage_pool_name: rsc.pool,
            provider_kind: rsc.provider,
            device_path: file,
            allocated_size_kib: rsc.diskless ? 0 : thin ? Math.ceil((await allocatedBytes(file)) / 1024) : vd.sizeKib,
            usable_size_kib: vd.sizeKib,
            props: {},
            flags: [],
            state: { disk_state: rsc.diskless ? 'Diskless' : 'UpToDate' },
            uuid: randomUUID(),
          });
        }
        out.push({
          name: rd.name,
          node_name: rsc.node,
          props: {},
          flags: rsc.diskless ? ['DISKLESS', 'DRBD_DISKLESS'] : [],
          state: { in_use: rsc.inUse },
          uuid: rsc.uuid,
          create_timestamp: rsc.createTs,
          volumes,
        });
      }
    }
    return new Reply(200, out);
  }

  private snapshotJson(rd: SimRd, snapshot: SimSnapshot): unknown {
    const nodes = [...snapshot.placement.keys()].map((key) => this.nodes.get(key)?.name ?? key);
    return {
      name: snapshot.name,
      resource_name: rd.name,
      nodes,
      props: {},
      flags: ['SUCCESSFUL'],
      volume_definitions: [...snapshot.sizes].map(([nr, size]) => ({ volume_number: nr, size_kib: size })),
      uuid: snapshot.uuid,
      snapshots: nodes.map((node) => ({ snapshot_name: snapshot.name, node_name: node, create_timestamp: snapshot.createTs, flags: [], uuid: randomUUID() })),
    };
  }

  // ---- resource definitions ---------------------------------------------------------

  private newRd(name: unknown, rgName: string, props: Record<string, string>): SimRd {
    if (!validName(name)) {
      throw new Failure(fail(CODE.FAIL_INVLD_RSC_NAME, `The specified resource name '${String(name)}' is invalid.`, { cause: 'Names are 2-48 characters: a letter or _ first, then letters, digits, _ or -, with at least one letter.' }));
    }
    if (this.rds.has(name.toUpperCase())) {
      throw new Failure(fail(CODE.FAIL_EXISTS_RSC_DFN, `A resource definition with the name '${name}' already exists.`));
    }
    const rd: SimRd = { name, rg: rgName, props: { ...props }, flags: [], uuid: randomUUID(), vds: new Map(), resources: new Map(), snapshots: new Map() };
    this.rds.set(name.toUpperCase(), rd);
    return rd;
  }

  private createRd(body: Record<string, unknown>): Reply {
    const def = (body.resource_definition ?? {}) as { name?: unknown; resource_group_name?: unknown; props?: Record<string, string> };
    const rgName = typeof def.resource_group_name === 'string' ? def.resource_group_name : 'DfltRscGrp';
    const rg = this.rgs.get(rgName.toUpperCase());
    if (rg === undefined && rgName !== 'DfltRscGrp') throw new Failure(fail(CODE.FAIL_NOT_FOUND_RSC_GRP, `Resource group '${rgName}' not found.`));
    const rd = this.newRd(def.name, rg?.name ?? rgName, def.props ?? {});
    return rcReply([info(CODE.CREATED, RC.MASK_CRT, RC.MASK_RSC_DFN, `New resource definition '${rd.name}' created.`, { RscDfn: rd.name })], true);
  }

  private checkSize(size: unknown): number {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0 || size > MAX_VLM_SIZE_KIB) {
      throw new Failure(fail(CODE.FAIL_INVLD_VLM_SIZE, `The volume size ${String(size)} KiB is invalid.`, { cause: `Sizes are whole KiB between 1 and ${MAX_VLM_SIZE_KIB}.` }));
    }
    return size;
  }

  /**
   * resource-groups/{rg}/spawn: the request's select_filter over the group's; the RD in
   * the group with one VD per size; autoplace only with a place_count and not
   * definitions_only. A failed autoplace leaves the RD and its VDs behind, as the controller does.
   */
  private async spawn(rgName: string, body: Record<string, unknown>): Promise<Reply> {
    const rg = this.rgs.get(rgName.toUpperCase());
    if (rg === undefined) throw new Failure(fail(CODE.FAIL_NOT_FOUND_RSC_GRP, `Resource group '${rgName}' not found.`));
    const sizes = Array.isArray(body.volume_sizes) ? body.volume_sizes : [];
    // This group has no volume groups, so the controller treats the spawn as partial.
    const checked = sizes.map((size) => this.checkSize(size));
    const filter = { ...rg.selectFilter, ...((body.select_filter ?? {}) as { place_count?: number; storage_pool_list?: string[] }) };
    if (filter.place_count !== undefined && (!Number.isInteger(filter.place_count) || filter.place_count < 1)) {
      throw new Failure(fail(CODE.FAIL_INVLD_PLACE_COUNT, `Invalid place count ${String(filter.place_count)}.`));
    }
    const rd = this.newRd(body.resource_definition_name, rg.name, (body.resource_definition_props ?? {}) as Record<string, string>);
    const rcs: Rc[] = [info(CODE.CREATED, RC.MASK_CRT, RC.MASK_RSC_DFN, `New resource definition '${rd.name}' created.`, { RscDfn: rd.name })];
    checked.forEach((size, nr) => {
      rd.vds.set(nr, { nr, sizeKib: size, props: {}, uuid: randomUUID() });
      rcs.push(info(CODE.CREATED, RC.MASK_CRT, RC.MASK_VLM_DFN, `New volume definition with number '${nr}' of resource definition '${rd.name}' created.`));
    });
    if (filter.place_count === undefined || body.definitions_only === true) {
      rcs.push({ ret_code: retCode('info', 0), message: 'No autoplace: the merged select filter has no place_count, or definitions_only was set.' });
      return rcReply(rcs, true);
    }
    rcs.push(...(await this.autoplace(rd, filter)));
    return rcReply(rcs, true);
  }

  private async autoplaceRd(name: string, body: Record<string, unknown>): Promise<Reply> {
    const rd = this.rd(name);
    const rg = this.rgs.get(rd.rg.toUpperCase());
    const filter = { ...(rg?.selectFilter ?? {}), ...((body.select_filter ?? {}) as { place_count?: number; storage_pool_list?: string[] }) };
    return rcReply(await this.autoplace(rd, filter), true);
  }

  /** Diskful replicas on distinct nodes with room, most free space first (the default MaxFreeSpace weight). */
  private async autoplace(rd: SimRd, filter: { place_count?: number; storage_pool_list?: string[]; storage_pool?: string }): Promise<Rc[]> {
    const want = filter.place_count ?? 0;
    const have = [...rd.resources.values()].filter((r) => !r.diskless).length;
    const needKib = [...rd.vds.values()].reduce((sum, vd) => sum + vd.sizeKib, 0);
    const poolNames = filter.storage_pool_list ?? (filter.storage_pool ? [filter.storage_pool] : undefined);
    const candidates: { pool: SimPool; free: number }[] = [];
    for (const node of this.nodes.values()) {
      if (rd.resources.has(node.name.toUpperCase())) continue;
      let best: { pool: SimPool; free: number } | undefined;
      for (const pool of node.pools.values()) {
        if (pool.provider === 'DISKLESS') continue;
        if (poolNames !== undefined && !poolNames.some((n) => n.toUpperCase() === pool.name.toUpperCase())) continue;
        const free = await this.freeKib(pool);
        const room = pool.provider.endsWith('_THIN') ? free * OVERSUBSCRIPTION : free;
        if (room < needKib) continue;
        if (best === undefined || free > best.free) best = { pool, free };
      }
      if (best !== undefined) candidates.push(best);
    }
    const missing = want - have;
    if (missing <= 0) return [{ ret_code: retCode('info', 0), message: `Resource '${rd.name}' already has ${have} replicas.` }];
    if (candidates.length < missing) {
      throw new Failure(
        fail(CODE.FAIL_NOT_ENOUGH_NODES, 'Not enough available nodes', {
          details: `Resource '${rd.name}' needs ${missing} more diskful replicas of ${needKib} KiB; ${candidates.length} nodes qualify.`,
          correction: 'Add nodes or storage, or lower the place count.',
        }),
      );
    }
    candidates.sort((a, b) => b.free - a.free || a.pool.node.localeCompare(b.pool.node));
    const rcs: Rc[] = [];
    for (const { pool } of candidates.slice(0, missing)) {
      await this.addResource(rd, pool.node, pool, false);
      rcs.push(info(CODE.CREATED, RC.MASK_CRT, RC.MASK_RSC, `Resource '${rd.name}' successfully autoplaced on node '${pool.node}'.`, { RscDfn: rd.name, Node: pool.node }));
    }
    return rcs;
  }

  private async addResource(rd: SimRd, node: string, pool: SimPool, diskless: boolean, content?: (nr: number) => Promise<void>): Promise<void> {
    rd.resources.set(node.toUpperCase(), { node, pool: pool.name, provider: pool.provider, diskless, uuid: randomUUID(), createTs: this.now(), inUse: false });
    if (diskless) return;
    for (const vd of rd.vds.values()) {
      const file = this.volumeFile(rd, vd.nr);
      const exists = await stat(file).then(() => true).catch(() => false);
      if (content !== undefined && !exists) await content(vd.nr);
      else if (!exists) await sparseFile(file, vd.sizeKib * 1024);
    }
  }

  private modifyRd(name: string, body: Record<string, unknown>): Reply {
    const rd = this.rd(name);
    this.applyProps(rd.props, body);
    return rcReply([info(CODE.MODIFIED, RC.MASK_MOD, RC.MASK_RSC_DFN, `Resource definition '${rd.name}' modified.`)]);
  }

  private applyProps(props: Record<string, string>, body: Record<string, unknown>): void {
    const set = (body.override_props ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(set)) {
      if (typeof value !== 'string') throw new Failure(fail(213, `The value of property '${key}' must be a string.`));
      props[key] = value;
    }
    for (const key of Array.isArray(body.delete_props) ? (body.delete_props as string[]) : []) delete props[key];
  }

  /** Refused while snapshots exist or a replica is in use; a missing RD is WARN_NOT_FOUND with 200. */
  private async deleteRd(name: string): Promise<Reply> {
    const rd = this.rds.get(name.toUpperCase());
    if (rd === undefined) return rcReply([warn(CODE.WARN_NOT_FOUND, `Resource definition '${name}' not found.`)]);
    if (rd.snapshots.size > 0) {
      throw new Failure(
        fail(CODE.FAIL_EXISTS_SNAPSHOT_DFN, `Cannot delete resource definition '${rd.name}' because it has snapshots.`, {
          details: `Snapshots: ${[...rd.snapshots.values()].map((s) => s.name).join(', ')}`,
        }),
      );
    }
    this.assertNotInUse(rd);
    this.rds.delete(name.toUpperCase());
    for (const vd of rd.vds.values()) await rm(this.volumeFile(rd, vd.nr), { force: true });
    await rm(join(this.options.dataDir, 'snapshots', rd.name), { recursive: true, force: true });
    return rcReply([info(CODE.DELETED, RC.MASK_DEL, RC.MASK_RSC_DFN, `Resource definition '${rd.name}' deleted.`)]);
  }

  private assertNotInUse(rd: SimRd): void {
    const busy = [...rd.resources.values()].find((r) => r.inUse);
    if (busy !== undefined) throw new Failure(fail(CODE.FAIL_IN_USE, `Resource '${rd.name}' on node '${busy.node}' is still in use.`));
  }

  /** Grow only: DRBD cannot shrink (FAIL_INVLD_VLM_SIZE). */
  private async modifyVd(name: string, nrText: string, body: Record<string, unknown>): Promise<Reply> {
    const rd = this.rd(name);
    const vd = rd.vds.get(Number(nrText));
    if (vd === undefined) throw new Failure(fail(CODE.FAIL_NOT_FOUND_VLM_DFN, `Volume definition '${nrText}' of resource definition '${rd.name}' not found.`));
    if (body.size_kib !== undefined) {
      const size = this.checkSize(body.size_kib);
      if (size < vd.sizeKib) throw new Failure(fail(CODE.FAIL_INVLD_VLM_SIZE, `Shrinking volume definition '${vd.nr}' of '${rd.name}' is not supported by its layers.`));
      vd.sizeKib = size;
      const file = this.volumeFile(rd, vd.nr);
      if (await stat(file).then(() => true).catch(() => false)) await sparseFile(file, size * 1024);
    }
    this.applyProps(vd.props, body);
    return rcReply([info(CODE.MODIFIED, RC.MASK_MOD, RC.MASK_VLM_DFN, `Volume definition '${vd.nr}' of resource definition '${rd.name}' modified.`)]);
  }

  // ---- resources -----------------------------------------------------------------------

  private node(name: string): SimNode {
    const node = this.nodes.get(name.toUpperCase());
    if (node === undefined) throw new Failure(fail(CODE.FAIL_NOT_FOUND_NODE, `Node '${name}' not found.`));
    return node;
  }

  /** A diskless resource on the node unless it already has one (then success, no change). */
  private async makeAvailable(rdName: string, nodeName: string, body: Record<string, unknown>): Promise<Reply> {
    const rd = this.rd(rdName);
    const node = this.node(nodeName);
    if (rd.resources.has(node.name.toUpperCase())) {
      return rcReply([{ ret_code: retCode('info', 0), message: `Resource '${rd.name}' is already available on node '${node.name}'.` }]);
    }
    const diskful = body.diskful === true;
    const pool = diskful ? [...node.pools.values()].find((p) => p.provider !== 'DISKLESS') : node.pools.get(DISKLESS_POOL.toUpperCase());
    if (pool === undefined) throw new Failure(fail(CODE.FAIL_NOT_FOUND_STOR_POOL, `Node '${node.name}' has no diskful storage pool.`));
    await this.addResource(rd, node.name, pool, !diskful);
    return rcReply([info(CODE.CREATED, RC.MASK_CRT, RC.MASK_RSC, `Resource '${rd.name}' created on node '${node.name}'${diskful ? '' : ' as diskless'}.`)]);
  }

  private async deleteResource(rdName: string, nodeName: string): Promise<Reply> {
    const rd = this.rds.get(rdName.toUpperCase());
    const rsc = rd?.resources.get(nodeName.toUpperCase());
    if (rd === undefined || rsc === undefined) return rcReply([warn(CODE.WARN_NOT_FOUND, `Resource '${rdName}' on node '${nodeName}' not found.`)]);
    if (rsc.inUse) throw new Failure(fail(CODE.FAIL_IN_USE, `Resource '${rd.name}' on node '${rsc.node}' is still in use.`));
    rd.resources.delete(nodeName.toUpperCase());
    if (![...rd.resources.values()].some((r) => !r.diskless)) {
      // The last data replica is gone: so is the data.
      for (const vd of rd.vds.values()) await rm(this.volumeFile(rd, vd.nr), { force: true });
    }
    return rcReply([info(CODE.DELETED, RC.MASK_DEL, RC.MASK_RSC, `Resource '${rd.name}' on node '${rsc.node}' deleted.`)]);
  }

  // ---- snapshots ------------------------------------------------------------------------

  /** All-or-nothing: every request is checked before any snapshot is taken (one point in time). */
  private async createSnapshots(requests: { rd: string; name: unknown }[]): Promise<Reply> {
    if (requests.length === 0) throw new Failure(fail(CODE.FAIL_INVLD_SNAPSHOT_NAME, 'No snapshots requested.'));
    const plans: { rd: SimRd; name: string; diskful: SimResource[] }[] = [];
    for (const request of requests) {
      const rd = this.rd(request.rd);
      if (!validName(request.name)) throw new Failure(fail(CODE.FAIL_INVLD_SNAPSHOT_NAME, `The specified snapshot name '${String(request.name)}' is invalid.`));
      if (rd.snapshots.has(request.name.toUpperCase())) {
        throw new Failure(fail(CODE.FAIL_EXISTS_SNAPSHOT_DFN, `A snapshot definition with the name '${request.name}' already exists in resource definition '${rd.name}'.`));
      }
      const diskful = [...rd.resources.values()].filter((r) => !r.diskless);
      if (diskful.length === 0) throw new Failure(fail(CODE.FAIL_NOT_ENOUGH_NODES, `Resource '${rd.name}' has no diskful replica to snapshot.`));
      const unsupported = diskful.find((r) => !this.supportsSnapshots(r.provider));
      if (unsupported !== undefined) {
        throw new Failure(fail(CODE.FAIL_INVLD_STOR_DRIVER, `Storage pool '${unsupported.pool}' on node '${unsupported.node}' (${unsupported.provider}) does not support snapshots.`));
      }
      plans.push({ rd, name: request.name, diskful });
    }
    const createTs = this.now();
    const rcs: Rc[] = [];
    for (const { rd, name, diskful } of plans) {
      await mkdir(join(this.options.dataDir, 'snapshots', rd.name), { recursive: true });
      const sizes = new Map<number, number>();
      for (const vd of rd.vds.values()) {
        sizes.set(vd.nr, vd.sizeKib);
        await sparseCopy(this.volumeFile(rd, vd.nr), this.snapshotFile(rd, name, vd.nr));
      }
      rd.snapshots.set(name.toUpperCase(), {
        name,
        placement: new Map(diskful.map((r) => [r.node.toUpperCase(), { pool: r.pool, provider: r.provider }])),
        sizes,
        createTs,
        uuid: randomUUID(),
      });
      rcs.push(info(CODE.CREATED, RC.MASK_CRT, RC.MASK_SNAPSHOT, `New snapshot '${name}' of resource '${rd.name}' successfully created.`));
    }
    return rcReply(rcs, true);
  }

  private async deleteSnapshot(rdName: string, name: string): Promise<Reply> {
    const rd = this.rd(rdName);
    const snapshot = rd.snapshots.get(name.toUpperCase());
    if (snapshot === undefined) return rcReply([warn(CODE.WARN_NOT_FOUND, `Snapshot '${name}' of resource '${rd.name}' not found.`)]);
    rd.snapshots.delete(name.toUpperCase());
    for (const nr of snapshot.sizes.keys()) await rm(this.snapshotFile(rd, snapshot.name, nr), { force: true });
    return rcReply([info(CODE.DELETED, RC.MASK_DEL, RC.MASK_SNAPSHOT, `Snapshot '${snapshot.name}' of resource '${rd.name}' deleted.`)]);
  }

  private snapshot(rd: SimRd, name: string): SimSnapshot {
    const snapshot = rd.snapshots.get(name.toUpperCase());
    if (snapshot === undefined) throw new Failure(fail(CODE.FAIL_NOT_FOUND_SNAPSHOT_DFN, `Snapshot definition '${name}' of resource '${rd.name}' not found.`));
    return snapshot;
  }

  /**
   * The volume's content (and size) becomes the snapshot's. Refused while a replica is in
   * use; on ZFS pools refused while newer snapshots exist ('zfs rollback' would destroy them).
   */
  private async rollback(rdName: string, name: string): Promise<Reply> {
    const rd = this.rd(rdName);
    const snapshot = this.snapshot(rd, name);
    this.assertNotInUse(rd);
    const zfs = [...rd.resources.values()].some((r) => r.provider === 'ZFS' || r.provider === 'ZFS_THIN');
    const newer = [...rd.snapshots.values()].filter((s) => s.createTs > snapshot.createTs);
    if (zfs && newer.length > 0) {
      throw new Failure(fail(CODE.FAIL_EXISTS_SNAPSHOT, `Cannot roll back '${rd.name}' to '${snapshot.name}': newer snapshots exist (${newer.map((s) => s.name).join(', ')}).`));
    }
    for (const [nr, size] of snapshot.sizes) {
      const vd = rd.vds.get(nr);
      if (vd !== undefined) vd.sizeKib = size;
      await sparseCopy(this.snapshotFile(rd, snapshot.name, nr), this.volumeFile(rd, nr));
    }
    return rcReply([info(CODE.MODIFIED, RC.MASK_MOD, RC.MASK_RSC_DFN, `Resource '${rd.name}' rolled back to snapshot '${snapshot.name}'.`)]);
  }

  private target(body: Record<string, unknown>): SimRd {
    if (typeof body.to_resource !== 'string') throw new Failure(fail(CODE.FAIL_INVLD_RSC_NAME, 'to_resource is required.'));
    return this.rd(body.to_resource);
  }

  private restoreVds(rdName: string, name: string, body: Record<string, unknown>): Reply {
    const snapshot = this.snapshot(this.rd(rdName), name);
    const target = this.target(body);
    if (target.vds.size > 0) throw new Failure(fail(CODE.FAIL_EXISTS_VLM_DFN, `Resource definition '${target.name}' already has volume definitions.`));
    for (const [nr, size] of snapshot.sizes) target.vds.set(nr, { nr, sizeKib: size, props: {}, uuid: randomUUID() });
    return rcReply([info(CODE.CREATED, RC.MASK_CRT, RC.MASK_VLM_DFN, `Volume definitions of '${target.name}' restored from snapshot '${snapshot.name}'.`)]);
  }

  /** Diskful resources of the target on the snapshot's nodes and pools, with the snapshot's content. */
  private async restoreResources(rdName: string, name: string, body: Record<string, unknown>): Promise<Reply> {
    const source = this.rd(rdName);
    const snapshot = this.snapshot(source, name);
    const target = this.target(body);
    if (target.vds.size === 0) throw new Failure(fail(CODE.FAIL_NOT_FOUND_VLM_DFN, `Resource definition '${target.name}' has no volume definitions; restore them first.`));
    if (target.resources.size > 0) throw new Failure(fail(CODE.FAIL_EXISTS_RSC, `Resource definition '${target.name}' already has resources.`));
    const rcs: Rc[] = [];
    for (const [nodeKey, where] of snapshot.placement) {
      const node = this.node(nodeKey);
      const pool = node.pools.get(where.pool.toUpperCase());
      if (pool === undefined) throw new Failure(fail(CODE.FAIL_NOT_FOUND_STOR_POOL, `Storage pool '${where.pool}' on node '${node.name}' not found.`));
      await this.addResource(target, node.name, pool, false, async (nr) => {
        await sparseCopy(this.snapshotFile(source, snapshot.name, nr), this.volumeFile(target, nr));
      });
      rcs.push(info(CODE.CREATED, RC.MASK_CRT, RC.MASK_RSC, `Resource '${target.name}' restored on node '${node.name}'.`));
    }
    return rcReply(rcs);
  }

  /** A new RD with the source's volumes on the same nodes; the copy runs in the background (CLONING, then COMPLETE). */
  private async clone(rdName: string, body: Record<string, unknown>): Promise<Reply> {
    const source = this.rd(rdName);
    const rgName = typeof body.resource_group === 'string' ? body.resource_group : source.rg;
    const rg = this.rgs.get(rgName.toUpperCase());
    if (rg === undefined) throw new Failure(fail(CODE.FAIL_NOT_FOUND_RSC_GRP, `Resource group '${rgName}' not found.`));
    const props = { ...source.props };
    const clone = this.newRd(body.name, rg.name, props);
    this.applyProps(clone.props, body);
    clone.flags = ['CLONING'];
    for (const vd of source.vds.values()) clone.vds.set(vd.nr, { nr: vd.nr, sizeKib: vd.sizeKib, props: { ...vd.props }, uuid: randomUUID() });
    const statusKey = `${source.name}/${clone.name}`.toUpperCase();
    this.clones.set(statusKey, 'CLONING');
    const diskful = [...source.resources.values()].filter((r) => !r.diskless);
    for (const rsc of diskful) {
      clone.resources.set(rsc.node.toUpperCase(), { node: rsc.node, pool: rsc.pool, provider: rsc.provider, diskless: false, uuid: randomUUID(), createTs: this.now(), inUse: false });
    }
    for (const vd of clone.vds.values()) await sparseFile(this.volumeFile(clone, vd.nr), vd.sizeKib * 1024);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const copy = (async () => {
        try {
          for (const vd of clone.vds.values()) await sparseCopy(this.volumeFile(source, vd.nr), this.volumeFile(clone, vd.nr));
          this.clones.set(statusKey, 'COMPLETE');
        } catch {
          this.clones.set(statusKey, 'FAILED');
        }
        clone.flags = [];
      })();
      this.pending.add(copy);
      void copy.finally(() => this.pending.delete(copy));
    }, this.options.cloneDelayMs ?? 50);
    this.timers.add(timer);
    return new Reply(201, {
      location: `/v1/resource-definitions/${source.name}/clone/${clone.name}`,
      source_name: source.name,
      clone_name: clone.name,
      messages: [info(CODE.CREATED, RC.MASK_CRT, RC.MASK_RSC_DFN, `Clone of '${source.name}' to '${clone.name}' started.`)],
    });
  }

  private cloneStatus(rdName: string, cloneName: string): Reply {
    const status = this.clones.get(`${rdName}/${cloneName}`.toUpperCase());
    if (status === undefined) throw new Failure(fail(CODE.FAIL_NOT_FOUND_RSC_DFN, `Clone '${cloneName}' of resource definition '${rdName}' not found.`));
    return new Reply(200, { status });
  }
}
