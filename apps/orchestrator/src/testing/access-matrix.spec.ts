import { RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';

/**
 * The access matrix's expectation table (support for access-matrix.int.spec.ts, not a test):
 * every route the orchestrator serves, classified by who may call it, with a request each
 * route accepts. A route the app serves that is missing here fails the matrix, so every new
 * endpoint has to be classified by the access-control contract (roles admin, operator, tenant).
 */

/** Who may call a route. `staff` is admin and operator; `any` is every role, a tenant then scoped to its own resources. */
export type Access = 'public' | 'admin' | 'staff' | 'any';

/** The tenant-owned resource kinds, named as their not-found codes are (`<kind>.not_found`). */
export type OwnedKind = 'volume' | 'snapshot' | 'vm_snapshot' | 'snapshot_policy' | 'backup' | 'backup_schedule' | 'restore' | 'template' | 'job';

/** The ids the matrix's requests name: tenant A owns the tenant resources, the rest is shared. */
export interface Fixture {
  readonly tenantA: string;
  readonly tenantB: string;
  readonly zoneId: string;
  readonly poolId: string;
  /** A StorPool pool: its manifest lists authToken as secret, for the credential variant of PATCH. */
  readonly storpoolPoolId: string;
  readonly hostId: string;
  readonly imageStoreId: string;
  readonly targetId: string;
  /** An API key created for the matrix to read and revoke (never one a caller uses). */
  readonly spareKeyId: string;
  readonly owned: Readonly<Record<OwnedKind, string>>;
  /** Tenant B's own volume: its lists are not empty. */
  readonly volumeB: string;
}

type Body = (f: Fixture) => object;

/** A second request on the same route whose body makes it another class (a credential makes a pool or target admin-only). */
export interface Variant {
  readonly label: string;
  readonly access: Access;
  readonly body: Body;
  /** The path's id when not the fixture's default for the route. */
  readonly id?: (f: Fixture) => string;
  /** The 403 to an operator names the field that makes it a credential operation. */
  readonly names: RegExp;
}

export interface RouteExpectation {
  readonly access: Access;
  /** A body the route accepts, so an allowed caller reaches past validation (and tenant B's 404 is the lookup's). */
  readonly body?: Body;
  readonly variants?: readonly Variant[];
  /** Served outside Nest's router (the documentation): not among the routes Nest lists, called all the same. */
  readonly outsideNest?: boolean;
  /** The admin's allowed call changes the read models: made once every other check is done. */
  readonly last?: boolean;
}

/** `<METHOD> <path>` with parameters as `{name}`, as in the OpenAPI document. */
export type RouteKey = string;

const GiB = 2 ** 30;
const daily = { kind: 'daily', time: '02:30', timeZone: 'UTC' };

export const ROUTES: Readonly<Record<RouteKey, RouteExpectation>> = {
  // Public: liveness, readiness and the API's documentation hold no data.
  'GET /health': { access: 'public' },
  'GET /health/ready': { access: 'public' },
  // Served by @nestjs/swagger outside Nest's router (no guard runs there): checked, not discovered.
  'GET /docs': { access: 'public', outsideNest: true },
  'GET /docs-json': { access: 'public', outsideNest: true },
  'GET /docs-yaml': { access: 'public', outsideNest: true },

  // Admin only: API keys and the read-model rebuild.
  'POST /api-keys': { access: 'admin', body: (f) => ({ name: 'matrix-made', role: 'tenant', tenant: f.tenantB }) },
  'GET /api-keys': { access: 'admin' },
  'GET /api-keys/{id}': { access: 'admin' },
  'GET /api-keys/{id}/events': { access: 'admin' },
  'DELETE /api-keys/{id}': { access: 'admin' },
  'POST /read-models/rebuild': { access: 'admin', last: true },

  // Admin and operator: metrics, the read models' state, the topology and the commands on shared infrastructure.
  'GET /metrics': { access: 'staff' },
  'GET /read-models': { access: 'staff' },
  'GET /zones': { access: 'any' },
  'GET /clusters': { access: 'any' },
  'POST /pools': {
    access: 'staff',
    body: (f) => ({ name: 'matrix-pool', plugin: 'file', zoneId: f.zoneId, config: { path: '/srv/matrix' } }),
    variants: [
      { label: 'a secret config key', access: 'admin', names: /authToken/, body: (f) => ({ name: 'matrix-sp', plugin: 'storpool', zoneId: f.zoneId, config: { host: 'sp.example', authToken: 'matrix-token', template: 'nvme' } }) },
      { label: 'a URL with a token', access: 'admin', names: /url/, body: (f) => ({ name: 'matrix-sp-url', plugin: 'storpool', zoneId: f.zoneId, url: 'SP_API_HTTP=sp.example:81;SP_AUTH_TOKEN=matrix-token;SP_TEMPLATE=nvme' }) },
    ],
  },
  'PATCH /pools/{id}': {
    access: 'staff',
    body: () => ({ name: 'matrix-renamed' }),
    variants: [{ label: 'a secret config key', access: 'admin', names: /authToken/, id: (f) => f.storpoolPoolId, body: () => ({ config: { authToken: 'matrix-token' } }) }],
  },
  'DELETE /pools/{id}': { access: 'staff' },
  'POST /pools/{id}/enable': { access: 'staff' },
  'POST /pools/{id}/disable': { access: 'staff', body: () => ({ reason: 'matrix' }) },
  'POST /pools/{id}/refresh-capacity': { access: 'staff' },
  'POST /pools/{id}/reconcile': { access: 'staff' },
  'POST /pools/{id}/orphans/remove': { access: 'staff', body: () => ({ backendName: 'legacy-1' }) },
  'POST /pools/{id}/maintenance': { access: 'staff', body: () => ({}) },
  'DELETE /pools/{id}/maintenance': { access: 'staff' },
  'POST /hosts': { access: 'staff', body: (f) => ({ name: 'matrix-host', zoneId: f.zoneId, hypervisor: 'kvm', identities: {} }) },
  'DELETE /hosts/{id}': { access: 'staff' },
  'POST /image-stores': { access: 'staff', body: (f) => ({ name: 'matrix-store', zoneId: f.zoneId, path: '/srv/matrix-images' }) },
  'DELETE /image-stores/{id}': { access: 'staff' },
  'POST /backup-targets': {
    access: 'staff',
    body: () => ({ name: 'matrix-dir', kind: 'directory', directory: { path: '/srv/matrix-backups' } }),
    variants: [
      {
        label: 'kind s3 (a secret key)',
        access: 'admin',
        names: /secretAccessKey|s3/,
        body: () => ({ name: 'matrix-s3', kind: 's3', s3: { endpoint: 'http://127.0.0.1:4569', bucket: 'matrix', accessKeyId: 'AKID', secretAccessKey: 'matrix-secret', forcePathStyle: true } }),
      },
    ],
  },
  'DELETE /backup-targets/{id}': { access: 'staff' },
  'POST /backup-targets/{id}/garbage-collection': { access: 'staff' },
  'POST /backup-targets/{id}/imports': { access: 'staff', body: () => ({ backupId: '7f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b' }) },
  'POST /volumes/manage': { access: 'staff', body: (f) => ({ poolId: f.poolId, backendName: 'legacy-1', name: 'adopted' }) },
  'POST /volumes/{id}/migrate': { access: 'staff', body: () => ({}) },

  // Every role: shared infrastructure read (a tenant chooses a pool, a host, a target from it).
  'GET /plugins': { access: 'any' },
  'GET /plugins/{name}': { access: 'any' },
  'GET /pools': { access: 'any' },
  'GET /pools/{id}': { access: 'any' },
  'GET /pools/{id}/events': { access: 'any' },
  'GET /pools/{id}/drift': { access: 'any' },
  'GET /hosts': { access: 'any' },
  'GET /hosts/{id}': { access: 'any' },
  'GET /hosts/{id}/events': { access: 'any' },
  'GET /image-stores': { access: 'any' },
  'GET /image-stores/{id}': { access: 'any' },
  'GET /image-stores/{id}/events': { access: 'any' },
  'GET /backup-targets': { access: 'any' },
  'GET /backup-targets/{id}': { access: 'any' },
  'GET /backup-targets/{id}/events': { access: 'any' },

  // Every role, a tenant on its own resources only.
  'POST /volumes': { access: 'any', body: (f) => ({ name: 'matrix-volume', poolId: f.poolId, sizeBytes: GiB }) },
  'GET /volumes': { access: 'any' },
  'GET /volumes/{id}': { access: 'any' },
  'GET /volumes/{id}/events': { access: 'any' },
  'DELETE /volumes/{id}': { access: 'any' },
  'POST /volumes/{id}/resize': { access: 'any', body: () => ({ sizeBytes: 4 * GiB }) },
  'POST /volumes/{id}/attach': { access: 'any', body: (f) => ({ hostId: f.hostId }) },
  'POST /volumes/{id}/detach': { access: 'any', body: (f) => ({ hostId: f.hostId }) },
  'PUT /volumes/{id}/qos': { access: 'any', body: () => ({ iops: 1000 }) },
  'POST /volumes/{id}/snapshots': { access: 'any', body: () => ({ name: 'matrix-snap' }) },
  'GET /volumes/{id}/snapshots': { access: 'any' },
  'PUT /volumes/{id}/snapshot-backup': { access: 'any', body: () => ({ backupSnapshots: true }) },
  'POST /volumes/{id}/snapshot-policies': { access: 'any', body: () => ({ schedule: daily, retention: 3 }) },
  'GET /volumes/{id}/snapshot-policies': { access: 'any' },
  'POST /volumes/{id}/backups': { access: 'any', body: (f) => ({ targetId: f.targetId }) },
  'POST /volumes/{id}/backup-schedules': { access: 'any', body: (f) => ({ targetId: f.targetId, schedule: daily, retention: 7 }) },
  'POST /volumes/{id}/templates': { access: 'any', body: (f) => ({ name: 'matrix-golden', zoneId: f.zoneId }) },
  'GET /snapshots': { access: 'any' },
  'GET /snapshots/{id}': { access: 'any' },
  'GET /snapshots/{id}/events': { access: 'any' },
  'DELETE /snapshots/{id}': { access: 'any' },
  'POST /snapshots/{id}/revert': { access: 'any', body: () => ({}) },
  'POST /snapshots/{id}/volumes': { access: 'any', body: () => ({ name: 'matrix-clone' }) },
  'POST /snapshots/{id}/templates': { access: 'any', body: (f) => ({ name: 'matrix-golden-snap', zoneId: f.zoneId }) },
  'POST /vm-snapshots': { access: 'any', body: (f) => ({ vmId: 'matrix-vm', volumeIds: [f.owned.volume], name: 'matrix-vms' }) },
  'GET /vm-snapshots': { access: 'any' },
  'GET /vm-snapshots/{id}': { access: 'any' },
  'GET /vm-snapshots/{id}/events': { access: 'any' },
  'DELETE /vm-snapshots/{id}': { access: 'any' },
  'POST /vm-snapshots/{id}/revert': { access: 'any', body: () => ({}) },
  'GET /snapshot-policies': { access: 'any' },
  'GET /snapshot-policies/{id}': { access: 'any' },
  'GET /snapshot-policies/{id}/events': { access: 'any' },
  'DELETE /snapshot-policies/{id}': { access: 'any' },
  'GET /backups': { access: 'any' },
  'GET /backups/{id}': { access: 'any' },
  'GET /backups/{id}/events': { access: 'any' },
  'DELETE /backups/{id}': { access: 'any' },
  'POST /backups/{id}/verify': { access: 'any', body: () => ({}) },
  'POST /backups/{id}/restore': { access: 'any', body: (f) => ({ poolId: f.poolId, name: 'matrix-restored' }) },
  'GET /restores/{id}': { access: 'any' },
  'GET /restores/{id}/events': { access: 'any' },
  'GET /backup-schedules': { access: 'any' },
  'GET /backup-schedules/{id}': { access: 'any' },
  'GET /backup-schedules/{id}/events': { access: 'any' },
  'DELETE /backup-schedules/{id}': { access: 'any' },
  'POST /templates': { access: 'any', body: (f) => ({ name: 'matrix-tpl', kind: 'template', format: 'qcow2', zoneId: f.zoneId, url: 'https://images.example/matrix.qcow2' }) },
  'GET /templates': { access: 'any' },
  'GET /templates/{id}': { access: 'any' },
  'GET /templates/{id}/events': { access: 'any' },
  'PATCH /templates/{id}': { access: 'any', body: () => ({ description: 'matrix' }) },
  'DELETE /templates/{id}': { access: 'any' },
  'POST /templates/{id}/copies': { access: 'any', body: () => ({ zoneId: 'zone-matrix-2' }) },
  'POST /templates/{id}/volumes': { access: 'any', body: (f) => ({ name: 'matrix-root', poolId: f.poolId }) },
  'GET /jobs': { access: 'any' },
  'GET /jobs/{id}': { access: 'any' },
};

/** The first path segment of a route that names a tenant's resource by id, and that resource's kind. */
export const OWNED_PREFIXES: Readonly<Record<string, OwnedKind>> = {
  volumes: 'volume',
  snapshots: 'snapshot',
  'vm-snapshots': 'vm_snapshot',
  'snapshot-policies': 'snapshot_policy',
  backups: 'backup',
  'backup-schedules': 'backup_schedule',
  restores: 'restore',
  templates: 'template',
  jobs: 'job',
};

/** The id a shared route names, by its first path segment. */
const SHARED_IDS: Readonly<Record<string, (f: Fixture) => string>> = {
  pools: (f) => f.poolId,
  hosts: (f) => f.hostId,
  'image-stores': (f) => f.imageStoreId,
  'backup-targets': (f) => f.targetId,
  plugins: () => 'file',
  'api-keys': (f) => f.spareKeyId,
};

/** The kind of tenant resource a route names by id (its path parameter), or null. */
export function ownedKindOf(key: RouteKey): OwnedKind | null {
  const path = key.split(' ')[1];
  const [, first, second] = path.split('/');
  return second !== undefined && /^\{.+\}$/.test(second) ? (OWNED_PREFIXES[first] ?? null) : null;
}

/** The route's path with its parameter filled in: tenant A's resource, or the shared one; throws for a route it cannot name. */
export function concretePath(key: RouteKey, f: Fixture, id?: string): string {
  const path = key.split(' ')[1];
  if (!/\{.+\}/.test(path)) return path;
  const first = path.split('/')[1];
  const kind = OWNED_PREFIXES[first];
  const value = id ?? (kind ? f.owned[kind] : SHARED_IDS[first]?.(f));
  if (value === undefined) throw new Error(`no id for ${key}: add its first path segment to OWNED_PREFIXES or SHARED_IDS`);
  return path.replace(/\{[^}]+\}/, value);
}

/**
 * Every route of every controller Nest registered, as `GET /volumes/{id}`: read from the
 * controllers' own metadata, so routes kept out of the OpenAPI document count too (and
 * middleware bound to every path does not).
 */
export function nestRoutes(app: INestApplication): RouteKey[] {
  const keys = new Set<RouteKey>();
  const pathsOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [value === undefined ? '' : String(value)]);
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!type) continue;
      for (const name of Object.getOwnPropertyNames(type.prototype)) {
        const handler = Object.getOwnPropertyDescriptor(type.prototype, name)?.value as object | undefined;
        if (typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        for (const base of pathsOf(Reflect.getMetadata(PATH_METADATA, type))) {
          for (const path of pathsOf(Reflect.getMetadata(PATH_METADATA, handler))) {
            const joined = `/${[base, path].map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
            keys.add(`${RequestMethod[method]} ${joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
          }
        }
      }
    }
  }
  return [...keys].sort();
}
