import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { allocatedBytes, setLength, sparseCopy, sparseFile, type CopyMethod } from '../../sparse/sparse-files';

/**
 * The StorPool cluster the simulator pretends to be: templates, volumes,
 * snapshots and attachments in memory, each volume and snapshot a sparse file.
 * Rules follow python-storpool's sptypes.py (names, sizes, replication, tags)
 * and the behaviour CloudStack and cinder rely on; where the vendor's
 * behaviour is not published (error names other than objectDoesNotExist and
 * objectExists, refusing revert and delete on attached volumes) the choice is
 * marked [A] and follows backend-apis.md §3.
 */

export const SECTOR = 512;
const NAME_SIZE = 200;
const VOLUME_NAME = /^#?[A-Za-z0-9_\-.:]+$/;
const SNAPSHOT_NAME = /^\*?[A-Za-z0-9_\-.:@]+$/;
const GLOBAL_ID_REF = /^~[a-z0-9]+\.[a-z0-9]+\.[a-z0-9]+$/;
const TEMPLATE_NAME = /^[A-Za-z0-9_-]+$/;
const TAG_KEY = /^[A-Za-z0-9_\-.:]+$/;
const TAG_VALUE = /^[A-Za-z0-9_\-.:]*$/;
const MAX_CLIENT_ID = 4095;
/** StorPool's object size: used only for objectsCount. */
const OBJECT_BYTES = 32 * 1024 * 1024;
const CLUSTER_ID = 'sim.a';

/** An error reply: HTTP status plus the vendor's `{error:{name,descr,transient}}`. */
export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string,
    readonly descr: string,
    readonly transient = false,
  ) {
    super(`${errorName}: ${descr}`);
  }
}

const notFound = (descr: string): SimError => new SimError(404, 'objectDoesNotExist', descr);
const exists = (descr: string): SimError => new SimError(409, 'objectExists', descr);
const invalid = (descr: string): SimError => new SimError(400, 'invalidParam', descr);
/** [A] the vendor's name for this refusal is not published. */
const attached = (descr: string): SimError => new SimError(409, 'objectAttached', descr);

export interface TemplateSpec {
  readonly name: string;
  /** Client data the template's placement groups hold, after replication. */
  readonly capacityBytes: number;
  readonly replication?: number;
  readonly placeAll?: string;
  readonly placeTail?: string;
  readonly placeHead?: string;
}

type Limit = number | '-';
type Tags = Record<string, string>;

interface Template {
  readonly name: string;
  readonly capacityBytes: number;
  readonly replication: number;
  readonly placeAll: string;
  readonly placeTail: string;
  readonly placeHead: string;
}

interface SimObject {
  readonly id: number;
  readonly globalId: string;
  name: string;
  size: number;
  templateName: string;
  parentName: string;
  replication: number;
  placeAll: string;
  placeTail: string;
  placeHead: string;
  iops: Limit;
  bw: Limit;
  tags: Tags;
  readonly creationTimestamp: number;
  file: string;
  /** client id -> rights and position */
  readonly attachments: Map<number, { rights: 'rw' | 'ro'; pos: number }>;
}

type SimVolume = SimObject;

interface SimSnapshot extends SimObject {
  onVolume: string;
  readonly autoName: boolean;
  bound: boolean;
  deleted: boolean;
  readonly transient: boolean;
}

export interface RequestInfo {
  readonly multiCluster: boolean;
}

export class StorPoolState {
  private readonly templates = new Map<string, Template>();
  private readonly volumes = new Map<string, SimVolume>();
  private readonly snapshots = new Map<string, SimSnapshot>();
  private readonly clients: ReadonlySet<number>;
  private generation = 1;
  private nextId = 1;
  private readonly nextPos = new Map<number, number>();
  /** How the last snapshot, clone or revert copied its file (tests assert sparseness with it). */
  lastCopyMethod: CopyMethod | undefined;

  constructor(
    private readonly dataDir: string,
    templates: readonly TemplateSpec[],
    clients: readonly number[],
  ) {
    for (const spec of templates) {
      if (!TEMPLATE_NAME.test(spec.name)) throw new Error(`template name '${spec.name}' must match ${TEMPLATE_NAME}`);
      const replication = spec.replication ?? 3;
      if (!Number.isInteger(replication) || replication < 1 || replication > 3) throw new Error(`template ${spec.name}: replication must be 1-3`);
      if (!Number.isSafeInteger(spec.capacityBytes) || spec.capacityBytes <= 0) throw new Error(`template ${spec.name}: capacity must be a positive integer`);
      this.templates.set(spec.name, {
        name: spec.name,
        capacityBytes: spec.capacityBytes,
        replication,
        placeAll: spec.placeAll ?? `${spec.name}-all`,
        placeTail: spec.placeTail ?? `${spec.name}-tail`,
        placeHead: spec.placeHead ?? `${spec.name}-head`,
      });
    }
    for (const id of clients) {
      if (!Number.isInteger(id) || id < 1 || id > MAX_CLIENT_ID) throw new Error(`client id ${id} must be 1-${MAX_CLIENT_ID}`);
    }
    this.clients = new Set(clients);
  }

  /** Where a volume's sparse file lives: the simulated /dev/storpool/<name>. */
  static volumePath(dataDir: string, name: string): string {
    // The suffix keeps '.' and '..', valid StorPool names, from meaning directories.
    return join(dataDir, 'volumes', `${name}.raw`);
  }

  /** Starts empty: the cluster lives in memory, so files of an earlier run are stale. */
  async init(): Promise<void> {
    for (const dir of ['volumes', 'snapshots']) {
      await fsp.rm(join(this.dataDir, dir), { recursive: true, force: true });
      await fsp.mkdir(join(this.dataDir, dir), { recursive: true });
    }
  }

  async handle(method: 'GET' | 'POST', query: string, arg: string | undefined, json: unknown, info: RequestInfo): Promise<unknown> {
    const route = `${method} ${query}`;
    const needsArg = ARG_QUERIES.has(query);
    if (needsArg && (arg === undefined || arg === '')) throw invalid(`${query} needs an object name in the path`);
    if (!needsArg && arg !== undefined) throw new SimError(404, 'invalidParam', `unknown query ${query}/${arg}`);
    const name = arg as string;
    switch (route) {
      case 'GET VolumesList':
        return [...this.volumes.values()].map((v) => this.volumeJson(v, info));
      case 'GET Volume':
        return [this.volumeJson(this.volume(name), info)];
      case 'GET VolumesSpace':
        return Promise.all([...this.volumes.values()].map(async (v) => ({ ...this.volumeJson(v, info), ...(await this.space(v)) })));
      case 'GET SnapshotsList':
        return [...this.snapshots.values()].map((s) => this.snapshotJson(s, info));
      case 'GET Snapshot':
        return [this.snapshotJson(this.snapshot(name), info)];
      case 'GET SnapshotsSpace':
        return Promise.all([...this.snapshots.values()].map(async (s) => ({ ...this.snapshotJson(s, info), ...(await this.space(s)) })));
      case 'GET AttachmentsList':
        return this.attachmentsList(info);
      case 'GET VolumeTemplatesList':
        return [...this.templates.values()].map((t) => this.templateJson(t));
      case 'GET VolumeTemplateDescribe':
        return this.templateJson(this.template(name));
      case 'GET VolumeTemplatesStatus':
        return Promise.all([...this.templates.values()].map((t) => this.templateStatus(t)));
      case 'GET ClientsConfigDump':
        return [...this.clients].map((id) => ({ id, generation: this.generation, clientGeneration: this.generation, configStatus: 'ok', delay: 0 }));
      case 'POST VolumeCreate':
        return this.volumeCreate(object(json, 'VolumeCreate'));
      case 'POST VolumeUpdate':
        return this.volumeUpdate(name, object(json, 'VolumeUpdate'));
      case 'POST VolumeDelete':
        return this.volumeDelete(name, json === undefined ? {} : object(json, 'VolumeDelete'));
      case 'POST VolumeRevert':
        return this.volumeRevert(name, object(json, 'VolumeRevert'));
      case 'POST VolumeSnapshot':
        return this.volumeSnapshot(name, json === undefined ? {} : object(json, 'VolumeSnapshot'));
      case 'POST SnapshotUpdate':
        return this.snapshotUpdate(name, object(json, 'SnapshotUpdate'));
      case 'POST SnapshotDelete':
        return this.snapshotDelete(name);
      case 'POST VolumesGroupSnapshot':
        return this.groupSnapshot(object(json, 'VolumesGroupSnapshot'));
      case 'POST VolumesReassign':
        return this.reassign(json);
      case 'POST VolumesReassignWait':
        // pve-storpool posts the bare array; the documented shape is {reassign, attachTimeout}.
        return this.reassign(Array.isArray(json) ? json : object(json, 'VolumesReassignWait')['reassign']);
      default:
        if (KNOWN_QUERIES.has(query)) throw new SimError(405, 'invalidParam', `${query} does not take ${method}`);
        throw new SimError(404, 'invalidParam', `unknown query ${query}`);
    }
  }

  // ---- volumes ----------------------------------------------------------

  private async volumeCreate(body: Record<string, unknown>): Promise<unknown> {
    allowOnly(body, 'VolumeCreate', [...POLICY_FIELDS, 'name', 'size', 'template', 'parent', 'baseOn']);
    const anonymous = body['name'] === undefined || body['name'] === '';
    if (!anonymous) volumeName(body['name'], 'name');
    if (!anonymous && this.volumes.has(body['name'] as string)) throw exists(`volume ${String(body['name'])} already exists`);
    if (body['parent'] !== undefined && body['baseOn'] !== undefined) throw invalid('VolumeCreate takes parent or baseOn, not both');
    const parent = body['parent'] === undefined ? undefined : this.snapshot(snapshotRef(body['parent'], 'parent'));
    if (parent?.deleted === true) throw notFound(`snapshot ${parent.name} is being deleted`);
    const base = body['baseOn'] === undefined ? undefined : this.volume(volumeRef(body['baseOn'], 'baseOn'));
    const template = body['template'] === undefined ? undefined : this.template(templateName(body['template'], 'template'));
    const source = parent ?? base;
    const templateOf = template ?? (source === undefined ? undefined : this.templates.get(source.templateName));
    if (templateOf === undefined) throw invalid('VolumeCreate needs a template (or a parent or baseOn that has one)');
    let size = body['size'] === undefined ? source?.size : volumeSize(body['size'], 'size');
    if (size === undefined) throw invalid('VolumeCreate needs a size (or a parent or baseOn to take it from)');
    if (source !== undefined && size < source.size) throw invalid(`size ${size} is smaller than the ${source.size} bytes of ${source.name}`);
    const policy = this.policy(body, templateOf);
    const tags = tagsOf(body['tags'], 'tags') ?? {};
    size = size as number;

    const id = this.nextId++;
    const globalId = globalIdOf(id);
    const volName = anonymous ? `~${globalId}` : (body['name'] as string);
    const file = StorPoolState.volumePath(this.dataDir, volName);
    let parentName = '';
    let autoName: string | undefined;
    if (parent !== undefined) {
      this.lastCopyMethod = await sparseCopy(parent.file, file);
      parentName = parent.name;
    } else if (base !== undefined) {
      // StorPool copies a live volume through a transient snapshot of it, the new volume's parent.
      const transient = await this.takeSnapshot(base, undefined, {}, { transient: true, bound: true });
      this.lastCopyMethod = await sparseCopy(transient.file, file);
      parentName = transient.name;
      autoName = transient.name;
    } else {
      await sparseFile(file, size);
    }
    if (source !== undefined && size > source.size) await setLength(file, size);
    const volume: SimVolume = {
      id,
      globalId,
      name: volName,
      size,
      templateName: templateOf.name,
      parentName,
      ...policy,
      tags: withoutEmpty(tags),
      creationTimestamp: now(),
      file,
      attachments: new Map(),
    };
    this.volumes.set(volName, volume);
    return { ...this.ok(), globalId, ...(anonymous ? { name: volName } : {}), ...(autoName === undefined ? {} : { autoName }) };
  }

  private async volumeUpdate(ref: string, body: Record<string, unknown>): Promise<unknown> {
    allowOnly(body, 'VolumeUpdate', [...POLICY_FIELDS, 'rename', 'size', 'sizeAdd', 'shrinkOk', 'template']);
    const volume = this.volume(ref);
    if (body['size'] !== undefined && body['sizeAdd'] !== undefined) throw invalid('VolumeUpdate takes size or sizeAdd, not both');
    const rename = body['rename'] === undefined ? undefined : volumeName(body['rename'], 'rename');
    if (rename !== undefined && rename !== volume.name && this.volumes.has(rename)) throw exists(`volume ${rename} already exists`);
    const newSize =
      body['size'] !== undefined
        ? volumeSize(body['size'], 'size')
        : body['sizeAdd'] !== undefined
          ? volume.size + volumeSize(body['sizeAdd'], 'sizeAdd')
          : undefined;
    const shrinkOk = body['shrinkOk'] === undefined ? false : bool(body['shrinkOk'], 'shrinkOk');
    if (newSize !== undefined && newSize < volume.size && !shrinkOk) {
      throw invalid(`shrinking volume ${volume.name} from ${volume.size} to ${newSize} bytes needs shrinkOk`);
    }
    const template = body['template'] === undefined ? undefined : this.template(templateName(body['template'], 'template'));
    const tags = tagsOf(body['tags'], 'tags');
    const policy = this.policyUpdate(body);

    if (newSize !== undefined && newSize !== volume.size) {
      await setLength(volume.file, newSize);
      volume.size = newSize;
    }
    if (template !== undefined) {
      // Migration: the volume takes the new template's placement; the data moves in the background.
      volume.templateName = template.name;
      volume.placeAll = template.placeAll;
      volume.placeTail = template.placeTail;
      volume.placeHead = template.placeHead;
      if (body['replication'] === undefined) volume.replication = template.replication;
    }
    Object.assign(volume, policy);
    if (tags !== undefined) volume.tags = withoutEmpty({ ...volume.tags, ...tags });
    if (rename !== undefined && rename !== volume.name) {
      const file = StorPoolState.volumePath(this.dataDir, rename);
      await fsp.rename(volume.file, file);
      this.volumes.delete(volume.name);
      for (const snapshot of this.snapshots.values()) if (snapshot.onVolume === volume.name) snapshot.onVolume = rename;
      volume.name = rename;
      volume.file = file;
      this.volumes.set(rename, volume);
    }
    return this.ok();
  }

  private async volumeDelete(ref: string, body: Record<string, unknown>): Promise<unknown> {
    allowOnly(body, 'VolumeDelete', ['onAttached']);
    const volume = this.volume(ref);
    const onAttached = body['onAttached'] === undefined ? 'fail' : oneOf(body['onAttached'], 'onAttached', ['fail', 'detach', 'detachForce', 'export']);
    if (volume.attachments.size > 0) {
      // [A] clients detach first (cinder) or ask for detachForce (CloudStack).
      if (onAttached !== 'detach' && onAttached !== 'detachForce') {
        throw attached(`volume ${volume.name} is attached to client(s) ${[...volume.attachments.keys()].join(', ')}; detach it or pass onAttached`);
      }
      volume.attachments.clear();
    }
    await fsp.rm(volume.file, { force: true });
    this.volumes.delete(volume.name);
    await this.collect(volume.parentName);
    return this.ok();
  }

  /** [A] refused while attached: the guest would see its disk change under it. */
  private async volumeRevert(ref: string, body: Record<string, unknown>): Promise<unknown> {
    allowOnly(body, 'VolumeRevert', ['toSnapshot']);
    const volume = this.volume(ref);
    const snapshot = this.snapshot(snapshotRef(body['toSnapshot'], 'toSnapshot'));
    if (snapshot.deleted) throw notFound(`snapshot ${snapshot.name} is being deleted`);
    if (snapshot.onVolume !== volume.name && !this.ancestors(volume).includes(snapshot.name)) {
      throw invalid(`snapshot ${snapshot.name} is not a snapshot of volume ${volume.name}`);
    }
    if (volume.attachments.size > 0) {
      throw attached(`volume ${volume.name} is attached to client(s) ${[...volume.attachments.keys()].join(', ')}; detach it before reverting`);
    }
    const staging = `${volume.file}.revert`;
    this.lastCopyMethod = await sparseCopy(snapshot.file, staging);
    await fsp.rename(staging, volume.file);
    const oldParent = volume.parentName;
    volume.size = snapshot.size;
    volume.parentName = snapshot.name;
    await this.collect(oldParent);
    return this.ok();
  }

  // ---- snapshots --------------------------------------------------------

  private async volumeSnapshot(ref: string, body: Record<string, unknown>): Promise<unknown> {
    allowOnly(body, 'VolumeSnapshot', ['name', 'tags', 'bind', 'deleteAfter', 'targetDeleteDate']);
    const volume = this.volume(ref);
    const name = body['name'] === undefined || body['name'] === '' ? undefined : snapshotName(body['name'], 'name');
    if (name !== undefined && this.snapshots.has(name)) throw exists(`snapshot ${name} already exists`);
    const tags = tagsOf(body['tags'], 'tags') ?? {};
    const bind = body['bind'] === undefined ? false : bool(body['bind'], 'bind');
    const snapshot = await this.takeSnapshot(volume, name, tags, { transient: false, bound: bind });
    return { ...this.ok(), snapshotGlobalId: snapshot.globalId, snapshotVisibleVolumeId: snapshot.id };
  }

  private async groupSnapshot(body: Record<string, unknown>): Promise<unknown> {
    allowOnly(body, 'VolumesGroupSnapshot', ['volumes', 'tags']);
    const specs = body['volumes'];
    if (!Array.isArray(specs) || specs.length === 0) throw invalid('volumes must be a non-empty list');
    const groupTags = tagsOf(body['tags'], 'tags') ?? {};
    const planned: { volume: SimVolume; name: string | undefined; tags: Tags }[] = [];
    const names = new Set<string>();
    // All checks first: StorPool takes the whole group or nothing.
    for (const spec of specs) {
      const entry = object(spec, 'volumes[]');
      allowOnly(entry, 'volumes[]', ['volume', 'name', 'tags']);
      const volume = this.volume(volumeRef(entry['volume'], 'volume'));
      if (planned.some((p) => p.volume === volume)) throw invalid(`volume ${volume.name} is listed twice`);
      const name = entry['name'] === undefined || entry['name'] === '' ? undefined : snapshotName(entry['name'], 'name');
      if (name !== undefined && (this.snapshots.has(name) || names.has(name))) throw exists(`snapshot ${name} already exists`);
      if (name !== undefined) names.add(name);
      planned.push({ volume, name, tags: { ...groupTags, ...(tagsOf(entry['tags'], 'tags') ?? {}) } });
    }
    const snapshots = [];
    for (const plan of planned) {
      const snapshot = await this.takeSnapshot(plan.volume, plan.name, plan.tags, { transient: false, bound: false });
      snapshots.push({
        volume: plan.volume.name,
        volumeGlobalId: plan.volume.globalId,
        snapshot: snapshot.name,
        snapshotGlobalId: snapshot.globalId,
        remoteId: snapshot.globalId,
      });
    }
    this.generation += 1;
    return { snapshots };
  }

  private async snapshotUpdate(ref: string, body: Record<string, unknown>): Promise<unknown> {
    allowOnly(body, 'SnapshotUpdate', [...POLICY_FIELDS, 'rename', 'template', 'bind', 'targetDeleteDate', 'deleteAfter']);
    const snapshot = this.snapshot(ref);
    const rename = body['rename'] === undefined ? undefined : snapshotName(body['rename'], 'rename');
    if (rename !== undefined && rename !== snapshot.name && this.snapshots.has(rename)) throw exists(`snapshot ${rename} already exists`);
    const template = body['template'] === undefined ? undefined : this.template(templateName(body['template'], 'template'));
    const tags = tagsOf(body['tags'], 'tags');
    const bind = body['bind'] === undefined ? undefined : bool(body['bind'], 'bind');
    const policy = this.policyUpdate(body);
    if (template !== undefined) {
      snapshot.templateName = template.name;
      snapshot.placeAll = template.placeAll;
      snapshot.placeTail = template.placeTail;
      snapshot.placeHead = template.placeHead;
    }
    Object.assign(snapshot, policy);
    if (tags !== undefined) snapshot.tags = withoutEmpty({ ...snapshot.tags, ...tags });
    if (bind !== undefined) snapshot.bound = bind;
    if (rename !== undefined && rename !== snapshot.name) {
      const file = join(this.dataDir, 'snapshots', `${rename}.raw`);
      await fsp.rename(snapshot.file, file);
      for (const other of [...this.volumes.values(), ...this.snapshots.values()]) if (other.parentName === snapshot.name) other.parentName = rename;
      this.snapshots.delete(snapshot.name);
      snapshot.name = rename;
      snapshot.file = file;
      this.snapshots.set(rename, snapshot);
    }
    return this.ok();
  }

  /** A snapshot with children stays, marked deleted, until its last child goes (CloudStack PR #9855 sees them listed). */
  private async snapshotDelete(ref: string): Promise<unknown> {
    const snapshot = this.snapshot(ref);
    if (snapshot.attachments.size > 0) {
      throw attached(`snapshot ${snapshot.name} is attached to client(s) ${[...snapshot.attachments.keys()].join(', ')}; detach it first`);
    }
    snapshot.deleted = true;
    await this.collect(snapshot.name);
    return this.ok();
  }

  private async takeSnapshot(
    volume: SimVolume,
    name: string | undefined,
    tags: Tags,
    flags: { transient: boolean; bound: boolean },
  ): Promise<SimSnapshot> {
    const id = this.nextId++;
    const globalId = globalIdOf(id);
    const snapName = name ?? (flags.transient ? `*${globalId}` : `~${globalId}`);
    const file = join(this.dataDir, 'snapshots', `${snapName}.raw`);
    this.lastCopyMethod = await sparseCopy(volume.file, file);
    const snapshot: SimSnapshot = {
      id,
      globalId,
      name: snapName,
      size: volume.size,
      templateName: volume.templateName,
      // StorPool's chain: the snapshot takes the volume's place under its old parent.
      parentName: volume.parentName,
      replication: volume.replication,
      placeAll: volume.placeAll,
      placeTail: volume.placeTail,
      placeHead: volume.placeHead,
      iops: volume.iops,
      bw: volume.bw,
      tags: withoutEmpty(tags),
      creationTimestamp: now(),
      file,
      attachments: new Map(),
      onVolume: volume.name,
      autoName: name === undefined,
      bound: flags.bound,
      deleted: false,
      transient: flags.transient,
    };
    this.snapshots.set(snapName, snapshot);
    volume.parentName = snapName;
    this.generation += 1;
    return snapshot;
  }

  /** Drops deleted or bound snapshots that no longer have children, walking up the chain. */
  private async collect(name: string): Promise<void> {
    for (let current = this.snapshots.get(name); current !== undefined; ) {
      if (!(current.deleted || current.bound) || current.attachments.size > 0 || this.hasChildren(current.name)) return;
      await fsp.rm(current.file, { force: true });
      this.snapshots.delete(current.name);
      current = current.parentName === '' ? undefined : this.snapshots.get(current.parentName);
    }
  }

  private hasChildren(name: string): boolean {
    for (const other of this.volumes.values()) if (other.parentName === name) return true;
    for (const other of this.snapshots.values()) if (other.parentName === name) return true;
    return false;
  }

  private ancestors(object: SimObject): string[] {
    const chain: string[] = [];
    for (let parent = object.parentName; parent !== '' && !chain.includes(parent); ) {
      chain.push(parent);
      parent = this.snapshots.get(parent)?.parentName ?? '';
    }
    return chain;
  }

  // ---- attachments ------------------------------------------------------

  private reassign(json: unknown): unknown {
    if (!Array.isArray(json)) throw invalid('VolumesReassign takes a list of reassign descriptions');
    type Plan = { target: SimObject; rw: number[]; ro: number[]; detach: number[] | 'all' };
    const plans: Plan[] = [];
    for (const item of json) {
      const desc = object(item, 'reassign[]');
      allowOnly(desc, 'reassign[]', ['volume', 'snapshot', 'rw', 'ro', 'detach', 'force', 'allowRemoteExported', 'onRemoteAttached', 'mcMode']);
      if ((desc['volume'] === undefined) === (desc['snapshot'] === undefined)) throw invalid('each reassign names either a volume or a snapshot');
      const isSnapshot = desc['snapshot'] !== undefined;
      const target: SimObject = isSnapshot ? this.snapshot(snapshotRef(desc['snapshot'], 'snapshot')) : this.volume(volumeRef(desc['volume'], 'volume'));
      if (isSnapshot && (target as SimSnapshot).deleted) throw notFound(`snapshot ${target.name} is being deleted`);
      if (isSnapshot && desc['rw'] !== undefined) throw invalid(`snapshot ${target.name} can only be attached read-only`);
      const rw = this.clientList(desc['rw'], 'rw');
      const ro = this.clientList(desc['ro'], 'ro');
      const detach = desc['detach'] === 'all' ? 'all' : this.clientList(desc['detach'], 'detach');
      if (desc['force'] !== undefined) bool(desc['force'], 'force');
      const attaching = [...rw, ...ro];
      if (new Set(attaching).size !== attaching.length) throw invalid(`a client appears twice in rw and ro for ${target.name}`);
      if (detach !== 'all' && detach.some((id) => attaching.includes(id))) throw invalid(`a client is both attached and detached for ${target.name}`);
      plans.push({ target, rw, ro, detach });
    }
    for (const plan of plans) {
      if (plan.detach === 'all') plan.target.attachments.clear();
      else for (const id of plan.detach) plan.target.attachments.delete(id);
      for (const [ids, rights] of [
        [plan.rw, 'rw'],
        [plan.ro, 'ro'],
      ] as const) {
        for (const id of ids) {
          const current = plan.target.attachments.get(id);
          if (current !== undefined) current.rights = rights;
          else plan.target.attachments.set(id, { rights, pos: this.position(id) });
        }
      }
    }
    for (const plan of plans) if ('onVolume' in plan.target) void this.collect(plan.target.name);
    return this.ok();
  }

  private clientList(value: unknown, field: string): number[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw invalid(`${field} must be a list of client ids`);
    return value.map((id) => {
      if (!Number.isInteger(id) || (id as number) < 1 || (id as number) > MAX_CLIENT_ID) throw invalid(`${field}: client id ${String(id)} must be an integer 1-${MAX_CLIENT_ID}`);
      // [A] the real cluster would wait for the client (VolumesReassignWait) or report it missing.
      if (!this.clients.has(id as number)) throw invalid(`${field}: client ${String(id)} is not a StorPool client of this cluster`);
      return id as number;
    });
  }

  private position(client: number): number {
    const pos = this.nextPos.get(client) ?? 0;
    this.nextPos.set(client, pos + 1);
    return pos;
  }

  private attachmentsList(info: RequestInfo): unknown[] {
    const list: unknown[] = [];
    for (const [objects, snapshot] of [
      [this.volumes, false],
      [this.snapshots, true],
    ] as const) {
      for (const item of objects.values()) {
        for (const [client, attachment] of item.attachments) {
          list.push({
            volume: item.name,
            snapshot,
            client,
            rights: attachment.rights,
            pos: attachment.pos,
            globalId: item.globalId,
            ...(info.multiCluster ? { cluster: 'sim', clusterId: CLUSTER_ID } : {}),
          });
        }
      }
    }
    return list;
  }

  // ---- templates and space ----------------------------------------------

  private templateJson(t: Template): unknown {
    return { name: t.name, parentName: '', placeAll: t.placeAll, placeTail: t.placeTail, placeHead: t.placeHead, replication: t.replication, size: '-', iops: '-', bw: '-', limitType: 'total' };
  }

  /** Client data stored counts against the template; the physical figures are that times the replication. */
  private async templateStatus(t: Template): Promise<unknown> {
    const volumes = [...this.volumes.values()].filter((v) => v.templateName === t.name);
    const snapshots = [...this.snapshots.values()].filter((s) => s.templateName === t.name);
    let storedSize = 0;
    for (const item of [...volumes, ...snapshots]) storedSize += Math.min(item.size, await allocatedBytes(item.file));
    const free = Math.max(0, t.capacityBytes - storedSize);
    const withChildren = snapshots.filter((s) => this.hasChildren(s.name));
    const entry = { capacity: t.capacityBytes, free };
    const size = volumes.reduce((sum, v) => sum + v.size, 0);
    return {
      name: t.name,
      placeAll: t.placeAll,
      placeTail: t.placeTail,
      placeHead: t.placeHead,
      replication: t.replication,
      volumesCount: volumes.length,
      snapshotsCount: snapshots.length,
      removingSnapshotsCount: snapshots.filter((s) => s.deleted).length,
      size,
      totalSize: size * t.replication,
      volumesSize: size,
      snapshotsWithChildrenSize: withChildren.reduce((sum, s) => sum + s.size, 0),
      snapshotsWithoutChildrenSize: snapshots.filter((s) => !withChildren.includes(s)).reduce((sum, s) => sum + s.size, 0),
      storedSize,
      onDiskSize: storedSize * t.replication,
      availablePlaceAll: free * t.replication,
      availablePlaceTail: free,
      availablePlaceHead: free,
      capacityPlaceAll: t.capacityBytes * t.replication,
      capacityPlaceTail: t.capacityBytes,
      capacityPlaceHead: t.capacityBytes,
      stored: { ...entry, placeAll: entry, placeTail: entry, placeHead: entry },
    };
  }

  private async space(item: SimObject): Promise<{ storedSize: number; spaceUsed: number }> {
    const stored = Math.min(item.size, await allocatedBytes(item.file));
    return { storedSize: stored, spaceUsed: stored };
  }

  // ---- lookups and JSON -------------------------------------------------

  private volume(ref: string): SimVolume {
    const name = volumeRef(ref, 'volume');
    const found = GLOBAL_ID_REF.test(name) ? [...this.volumes.values()].find((v) => `~${v.globalId}` === name) : this.volumes.get(name);
    if (found === undefined) throw notFound(`volume ${name} does not exist`);
    return found;
  }

  private snapshot(ref: string): SimSnapshot {
    const name = snapshotRef(ref, 'snapshot');
    const found = GLOBAL_ID_REF.test(name) ? [...this.snapshots.values()].find((s) => `~${s.globalId}` === name) : this.snapshots.get(name);
    if (found === undefined) throw notFound(`snapshot ${name} does not exist`);
    return found;
  }

  private template(name: string): Template {
    const found = this.templates.get(templateName(name, 'template'));
    if (found === undefined) throw notFound(`template ${name} does not exist`);
    return found;
  }

  private policy(body: Record<string, unknown>, template: Template): Pick<SimObject, 'replication' | 'placeAll' | 'placeTail' | 'placeHead' | 'iops' | 'bw'> {
    return {
      replication: body['replication'] === undefined ? template.replication : replication(body['replication']),
      placeAll: body['placeAll'] === undefined ? template.placeAll : templateName(body['placeAll'], 'placeAll'),
      placeTail: body['placeTail'] === undefined ? template.placeTail : templateName(body['placeTail'], 'placeTail'),
      placeHead: body['placeHead'] === undefined ? template.placeHead : templateName(body['placeHead'], 'placeHead'),
      iops: body['iops'] === undefined ? '-' : limit(body['iops'], 'iops'),
      bw: body['bw'] === undefined ? '-' : limit(body['bw'], 'bw'),
    };
  }

  private policyUpdate(body: Record<string, unknown>): Partial<SimObject> {
    const update: Partial<SimObject> = {};
    if (body['replication'] !== undefined) update.replication = replication(body['replication']);
    for (const key of ['placeAll', 'placeTail', 'placeHead'] as const) if (body[key] !== undefined) update[key] = templateName(body[key], key);
    if (body['iops'] !== undefined) update.iops = limit(body['iops'], 'iops');
    if (body['bw'] !== undefined) update.bw = limit(body['bw'], 'bw');
    if (body['limitType'] !== undefined) oneOf(body['limitType'], 'limitType', ['total', 'perGiB']);
    if (body['reuseServer'] !== undefined) bool(body['reuseServer'], 'reuseServer');
    return update;
  }

  private objectJson(item: SimObject, info: RequestInfo): Record<string, unknown> {
    return {
      name: item.name,
      globalId: item.globalId,
      visibleVolumeId: item.id,
      parentName: item.parentName,
      templateName: item.templateName,
      size: item.size,
      replication: item.replication,
      placeAll: item.placeAll,
      placeTail: item.placeTail,
      placeHead: item.placeHead,
      iops: item.iops,
      bw: item.bw,
      limitType: 'total',
      objectsCount: Math.ceil(item.size / OBJECT_BYTES),
      creationTimestamp: item.creationTimestamp,
      tags: { ...item.tags },
      reuseServer: false,
      ...(info.multiCluster ? { clusterName: 'sim', clusterId: CLUSTER_ID } : {}),
    };
  }

  private volumeJson(volume: SimVolume, info: RequestInfo): Record<string, unknown> {
    return this.objectJson(volume, info);
  }

  private snapshotJson(snapshot: SimSnapshot, info: RequestInfo): Record<string, unknown> {
    return {
      ...this.objectJson(snapshot, info),
      onVolume: snapshot.onVolume,
      autoName: snapshot.autoName,
      bound: snapshot.bound,
      deleted: snapshot.deleted,
      transient: snapshot.transient,
      targetDeleteDate: 0,
      recoveringFromRemote: false,
    };
  }

  private ok(): { ok: true; generation: number } {
    this.generation += 1;
    return { ok: true, generation: this.generation };
  }
}

const POLICY_FIELDS = ['replication', 'placeAll', 'placeTail', 'placeHead', 'iops', 'bw', 'tags', 'limitType', 'reuseServer'];

const ARG_QUERIES = new Set([
  'Volume',
  'VolumeTemplateDescribe',
  'Snapshot',
  'VolumeUpdate',
  'VolumeDelete',
  'VolumeRevert',
  'VolumeSnapshot',
  'SnapshotUpdate',
  'SnapshotDelete',
]);

const KNOWN_QUERIES = new Set([
  ...ARG_QUERIES,
  'VolumesList',
  'VolumesSpace',
  'SnapshotsList',
  'SnapshotsSpace',
  'AttachmentsList',
  'VolumeTemplatesList',
  'VolumeTemplatesStatus',
  'ClientsConfigDump',
  'VolumeCreate',
  'VolumesGroupSnapshot',
  'VolumesReassign',
  'VolumesReassignWait',
]);

function globalIdOf(id: number): string {
  return `${CLUSTER_ID}.${id.toString(36)}`;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${what} takes a JSON object`);
  return value as Record<string, unknown>;
}

/** The API types reject fields they do not know; a misspelt field must not pass silently. */
function allowOnly(body: Record<string, unknown>, what: string, fields: readonly string[]): void {
  for (const key of Object.keys(body)) if (!fields.includes(key)) throw invalid(`${what}: unknown field '${key}'`);
}

function name(value: unknown, field: string, pattern: RegExp): string {
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  if (!pattern.test(value)) throw invalid(`Invalid ${field} "${value}". Must match ${pattern.source}`);
  if (value.length >= NAME_SIZE) throw invalid(`${field} is too long. Max allowed is ${NAME_SIZE - 1}`);
  if (value === 'list' || value === 'status') throw invalid(`${field} must not be 'list' or 'status'`);
  return value;
}

function volumeName(value: unknown, field: string): string {
  return name(value, field, VOLUME_NAME);
}

function volumeRef(value: unknown, field: string): string {
  return typeof value === 'string' && GLOBAL_ID_REF.test(value) ? value : volumeName(value, field);
}

function snapshotName(value: unknown, field: string): string {
  return name(value, field, SNAPSHOT_NAME);
}

function snapshotRef(value: unknown, field: string): string {
  return typeof value === 'string' && GLOBAL_ID_REF.test(value) ? value : snapshotName(value, field);
}

function templateName(value: unknown, field: string): string {
  return name(value, field, TEMPLATE_NAME);
}

function volumeSize(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw invalid(`Invalid ${field} ${String(value)}. Must be positive`);
  if ((value as number) % SECTOR !== 0) throw invalid(`Invalid ${field} ${String(value)}. Must be a multiple of ${SECTOR}`);
  return value as number;
}

function replication(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 3) throw invalid(`Invalid replication ${String(value)}. Must be 1-3`);
  return value as number;
}

function limit(value: unknown, field: string): Limit {
  if (value === '-') return '-';
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw invalid(`Invalid ${field} ${String(value)}. Must be a non-negative integer or '-' for unlimited`);
  return value as number;
}

function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw invalid(`${field} must be true or false`);
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw invalid(`${field} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** Tag rules of sptypes.py; an empty value removes the tag on update. */
function tagsOf(value: unknown, field: string): Tags | undefined {
  if (value === undefined) return undefined;
  const tags = object(value, field);
  const out: Tags = {};
  for (const [key, tagValue] of Object.entries(tags)) {
    if (!TAG_KEY.test(key) || key.length >= NAME_SIZE) throw invalid(`Invalid tag name "${key}". Must match ${TAG_KEY.source}`);
    if (typeof tagValue !== 'string' || !TAG_VALUE.test(tagValue) || tagValue.length >= NAME_SIZE) {
      throw invalid(`Invalid value of tag "${key}". Must match ${TAG_VALUE.source}`);
    }
    out[key] = tagValue;
  }
  return out;
}

function withoutEmpty(tags: Tags): Tags {
  return Object.fromEntries(Object.entries(tags).filter(([, value]) => value !== ''));
}
