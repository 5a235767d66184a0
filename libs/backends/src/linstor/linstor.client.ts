import { BackendError, isBackendError, JsonHttpClient, type HttpRequest } from '@strata/plugin-sdk';
import { apiCallRcs, firstError, parseLinstorJson, rcCode, rcType, toLinstorError, type ApiCallRc } from './linstor.errors';

/** The JSON shapes of the spec (components/schemas) that the driver reads; ret_codes are BigInt. */
export type Props = Record<string, string>;

export interface AutoSelectFilter {
  place_count?: number;
  storage_pool?: string;
  storage_pool_list?: string[];
  node_name_list?: string[];
  diskless_on_remaining?: boolean;
}

export interface ResourceGroup {
  name: string;
  description?: string;
  props?: Props;
  select_filter?: AutoSelectFilter;
  uuid?: string;
}

export interface VolumeDefinition {
  volume_number?: number;
  size_kib: number;
  props?: Props;
  flags?: string[];
  uuid?: string;
}

export interface ResourceDefinition {
  name: string;
  props?: Props;
  flags?: string[];
  uuid?: string;
  resource_group_name?: string;
  volume_definitions?: VolumeDefinition[];
}

export interface LinstorVolume {
  volume_number?: number;
  storage_pool_name?: string;
  provider_kind?: string;
  device_path?: string;
  allocated_size_kib?: number;
  usable_size_kib?: number;
  state?: { disk_state?: string };
}

export interface ResourceWithVolumes {
  name: string;
  node_name: string;
  props?: Props;
  flags?: string[];
  state?: { in_use?: boolean };
  uuid?: string;
  create_timestamp?: number;
  volumes?: LinstorVolume[];
}

export interface StoragePool {
  storage_pool_name: string;
  node_name?: string;
  provider_kind: string;
  free_capacity?: number;
  total_capacity?: number;
  supports_snapshots?: boolean;
  props?: Props;
}

export interface LinstorNode {
  name: string;
  type: string;
  connection_status?: string;
}

export interface Snapshot {
  name: string;
  resource_name: string;
  nodes?: string[];
  props?: Props;
  flags?: string[];
  volume_definitions?: { volume_number?: number; size_kib?: number }[];
  snapshots?: { snapshot_name?: string; node_name?: string; create_timestamp?: number; flags?: string[] }[];
  uuid?: string;
}

export interface CloneStarted {
  location: string;
  source_name: string;
  clone_name: string;
  messages?: ApiCallRc[];
}

export interface LinstorClientOptions {
  readonly controllerUrl: string;
  readonly token?: string;
  readonly timeoutMs: number;
  readonly maxConnections: number;
}

type Query = Record<string, string | boolean | readonly string[] | undefined>;

/** `?a=1&b=x&b=y`: LINSTOR repeats the key for array parameters. */
function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

const seg = encodeURIComponent;

const RECONNECT_PAUSE_MS = 100;

/**
 * The controller's REST API v1, as the spec (rest_v1_openapi.yaml) defines it: one method
 * per endpoint the driver uses. Every failure is a BackendError naming the operation and
 * object. The only resend is python-linstor's: once after a broken connection; every other
 * failure goes to the caller, which retries 'transient' errors by the SDK's taxonomy.
 */
export class LinstorClient {
  private readonly http: JsonHttpClient;

  constructor(private readonly options: LinstorClientOptions) {
    this.http = new JsonHttpClient({
      baseUrl: options.controllerUrl,
      timeoutMs: options.timeoutMs,
      maxConnections: options.maxConnections,
      label: 'LINSTOR controller',
    });
  }

  /** Sends one request; a non-2xx status or an error entry in the reply becomes a BackendError. */
  async call<T>(what: string, method: HttpRequest['method'], path: string, body?: unknown, query?: Query): Promise<{ status: number; body: T; rcs: ApiCallRc[] }> {
    const headers: Record<string, string> = {};
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    const request = { method, path: `${path}${queryString(query)}`, headers, body };
    let response;
    try {
      response = await this.http.request(request);
    } catch (error) {
      // python-linstor reconnects and resends once when the connection broke (a kept-alive
      // socket the controller closed): the same here, once, after a short pause. Timeouts
      // are not resent: the controller may still be working on the request.
      if (!isBackendError(error) || error.code !== 'http.unreachable') throw error;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_PAUSE_MS));
      response = await this.http.request(request);
    }
    let parsed: unknown = undefined;
    if (response.text.trim() !== '') {
      try {
        parsed = parseLinstorJson(response.text);
      } catch {
        parsed = undefined;
        if (response.status >= 200 && response.status < 300) {
          throw new BackendError('transient', 'linstor.bad_reply', `${what}: the LINSTOR controller answered HTTP ${response.status} with a body that is not JSON`);
        }
      }
    }
    const rcs = apiCallRcs(parsed);
    if (response.status < 200 || response.status >= 300 || firstError(rcs) !== undefined) {
      throw toLinstorError(what, response.status, parsed);
    }
    return { status: response.status, body: parsed as T, rcs };
  }

  async version(): Promise<{ version?: string; rest_api_version?: string }> {
    return (await this.call<{ version?: string; rest_api_version?: string }>('read the controller version', 'GET', '/v1/controller/version')).body;
  }

  async resourceGroups(names: readonly string[]): Promise<ResourceGroup[]> {
    return (await this.call<ResourceGroup[]>(`list resource groups ${names.join(', ')}`, 'GET', '/v1/resource-groups', undefined, { resource_groups: names })).body ?? [];
  }

  async nodes(names?: readonly string[]): Promise<LinstorNode[]> {
    return (await this.call<LinstorNode[]>('list nodes', 'GET', '/v1/nodes', undefined, { nodes: names })).body ?? [];
  }

  async storagePools(poolNames?: readonly string[]): Promise<StoragePool[]> {
    return (await this.call<StoragePool[]>('list storage pools', 'GET', '/v1/view/storage-pools', undefined, { storage_pools: poolNames })).body ?? [];
  }

  /** Resource definitions (optionally only the named ones), with their volume definitions. */
  async resourceDefinitions(names?: readonly string[]): Promise<ResourceDefinition[]> {
    const what = names === undefined ? 'list resource definitions' : `read resource definition ${names.join(', ')}`;
    return (await this.call<ResourceDefinition[]>(what, 'GET', '/v1/resource-definitions', undefined, { resource_definitions: names, with_volume_definitions: true })).body ?? [];
  }

  /** One resource definition, or undefined: the spec has no single-object GET, so this filters the list. */
  async resourceDefinition(name: string): Promise<ResourceDefinition | undefined> {
    const key = name.toUpperCase();
    return (await this.resourceDefinitions([name])).find((rd) => rd.name.toUpperCase() === key);
  }

  async spawn(resourceGroup: string, body: { resource_definition_name: string; volume_sizes: number[]; select_filter?: AutoSelectFilter; resource_definition_props?: Props }): Promise<ApiCallRc[]> {
    return (await this.call<unknown>(`create volume ${body.resource_definition_name} in resource group ${resourceGroup}`, 'POST', `/v1/resource-groups/${seg(resourceGroup)}/spawn`, body)).rcs;
  }

  async autoplace(rd: string, filter: AutoSelectFilter): Promise<void> {
    await this.call(`place replicas of ${rd}`, 'POST', `/v1/resource-definitions/${seg(rd)}/autoplace`, { select_filter: filter });
  }

  async createResourceDefinition(name: string, resourceGroup: string, props: Props): Promise<void> {
    await this.call(`create resource definition ${name}`, 'POST', '/v1/resource-definitions', {
      resource_definition: { name, resource_group_name: resourceGroup, props },
    });
  }

  /** Returns the reply entries: WARN_NOT_FOUND (with 200) when the definition was already gone. */
  async deleteResourceDefinition(name: string): Promise<ApiCallRc[]> {
    return (await this.call<unknown>(`delete volume ${name}`, 'DELETE', `/v1/resource-definitions/${seg(name)}`)).rcs;
  }

  async modifyResourceDefinition(name: string, body: { override_props?: Props; delete_props?: string[] }): Promise<void> {
    await this.call(`set properties of ${name}`, 'PUT', `/v1/resource-definitions/${seg(name)}`, body);
  }

  async modifyVolumeDefinition(name: string, volumeNumber: number, body: { size_kib?: number; override_props?: Props; delete_props?: string[] }, what: string): Promise<void> {
    await this.call(what, 'PUT', `/v1/resource-definitions/${seg(name)}/volume-definitions/${volumeNumber}`, body);
  }

  async viewResources(resources: readonly string[], nodes?: readonly string[]): Promise<ResourceWithVolumes[]> {
    return (await this.call<ResourceWithVolumes[]>(`list replicas of ${resources.join(', ')}`, 'GET', '/v1/view/resources', undefined, { resources, nodes })).body ?? [];
  }

  async makeAvailable(rd: string, node: string): Promise<void> {
    await this.call(`make ${rd} available on node ${node}`, 'POST', `/v1/resource-definitions/${seg(rd)}/resources/${seg(node)}/make-available`, { diskful: false });
  }

  async deleteResource(rd: string, node: string): Promise<void> {
    await this.call(`remove ${rd} from node ${node}`, 'DELETE', `/v1/resource-definitions/${seg(rd)}/resources/${seg(node)}`);
  }

  async snapshots(rd: string): Promise<Snapshot[]> {
    return (await this.call<Snapshot[]>(`list snapshots of ${rd}`, 'GET', `/v1/resource-definitions/${seg(rd)}/snapshots`)).body ?? [];
  }

  async createSnapshot(rd: string, name: string): Promise<void> {
    await this.call(`snapshot ${rd} as ${name}`, 'POST', `/v1/resource-definitions/${seg(rd)}/snapshots`, { name });
  }

  async deleteSnapshot(rd: string, name: string): Promise<void> {
    await this.call(`delete snapshot ${name} of ${rd}`, 'DELETE', `/v1/resource-definitions/${seg(rd)}/snapshots/${seg(name)}`);
  }

  async multiSnapshot(snapshots: readonly { name: string; resource_name: string }[]): Promise<void> {
    await this.call(`snapshot ${snapshots.map((s) => s.resource_name).join(', ')} together`, 'POST', '/v1/actions/snapshot/multi', { snapshots });
  }

  async rollback(rd: string, snapshot: string): Promise<void> {
    await this.call(`roll ${rd} back to snapshot ${snapshot}`, 'POST', `/v1/resource-definitions/${seg(rd)}/snapshot-rollback/${seg(snapshot)}`, {});
  }

  async restoreVolumeDefinitions(rd: string, snapshot: string, to: string): Promise<void> {
    await this.call(`restore the volume definitions of snapshot ${snapshot} of ${rd} into ${to}`, 'POST', `/v1/resource-definitions/${seg(rd)}/snapshot-restore-volume-definition/${seg(snapshot)}`, { to_resource: to });
  }

  async restoreResources(rd: string, snapshot: string, to: string): Promise<void> {
    await this.call(`restore snapshot ${snapshot} of ${rd} into ${to}`, 'POST', `/v1/resource-definitions/${seg(rd)}/snapshot-restore-resource/${seg(snapshot)}`, { to_resource: to });
  }

  async clone(rd: string, body: { name: string; resource_group?: string; override_props?: Props; delete_props?: string[] }): Promise<CloneStarted> {
    return (await this.call<CloneStarted>(`copy ${rd} to ${body.name}`, 'POST', `/v1/resource-definitions/${seg(rd)}/clone`, body)).body;
  }

  async cloneStatus(rd: string, clone: string): Promise<'CLONING' | 'COMPLETE' | 'FAILED'> {
    return (await this.call<{ status: 'CLONING' | 'COMPLETE' | 'FAILED' }>(`read the copy status of ${clone}`, 'GET', `/v1/resource-definitions/${seg(rd)}/clone/${seg(clone)}`)).body.status;
  }
}

/** True when a reply holds a WARN_NOT_FOUND entry (the controller's idempotent delete of a missing object). */
export function warnedNotFound(rcs: readonly ApiCallRc[]): boolean {
  return rcs.some((rc) => rcType(rc.ret_code) === 'warning' && rcCode(rc.ret_code) === 3000);
}
