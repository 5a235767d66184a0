import { BackendError, isBackendError, JsonHttpClient, type HttpResponse } from '@strata/plugin-sdk';
import { toPowerFlexError } from './powerflex.errors';

/** The gateway's objects, as far as the driver reads them. */
export interface PfStoragePool {
  readonly id: string;
  readonly name: string;
  readonly protectionDomainId: string;
}
export interface PfProtectionDomain {
  readonly id: string;
  readonly name: string;
  readonly systemId: string;
}
export interface PfMappedSdc {
  readonly sdcId: string;
  readonly sdcIp?: string;
  readonly sdcName?: string;
  readonly limitIops?: number;
  readonly limitBwInMbps?: number;
}
export interface PfVolume {
  readonly id: string;
  readonly name: string | null;
  readonly volumeType: 'ThinProvisioned' | 'ThickProvisioned' | 'Snapshot';
  readonly storagePoolId: string;
  readonly vtreeId: string;
  readonly ancestorVolumeId: string | null;
  readonly consistencyGroupId: string | null;
  readonly sizeInKb: number;
  readonly creationTime?: number;
  readonly accessModeLimit?: 'ReadWrite' | 'ReadOnly';
  readonly mappedSdcInfo: readonly PfMappedSdc[] | null;
}
export interface PfVTree {
  readonly id: string;
  readonly baseVolumeId: string | null;
  readonly storagePoolId: string;
  readonly vtreeMigrationInfo?: {
    readonly migrationStatus?: string;
    readonly migrationPauseReason?: string | null;
    readonly sourceStoragePoolId?: string | null;
    readonly destinationStoragePoolId?: string | null;
    readonly migrationQueuePosition?: number;
  };
}
export interface PfSdc {
  readonly id: string;
  readonly name: string | null;
  readonly sdcIp: string;
  readonly mdmConnectionState?: string;
}
/** KiB values; some gateway versions send them as strings, hence the number-or-string. */
export type PfStatistics = Readonly<Record<string, number | string | readonly string[] | undefined>>;

export interface PowerFlexClientOptions {
  readonly gatewayUrl: string;
  readonly username: string;
  readonly password: string;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  /** Extra attempts for reads that failed transiently (0 = none). */
  readonly readRetries?: number;
  readonly retryDelayMs?: number;
  /**
   * Log in again before a token this idle or this old is used, as CloudStack renews early:
   * the gateway drops tokens after 10 minutes idle or 8 hours, and a renewal ahead of time
   * saves the 401 round trip. Defaults 9 minutes and 7.5 hours.
   */
  readonly sessionIdleMs?: number;
  readonly sessionMaxMs?: number;
}

type Method = 'GET' | 'POST';

/**
 * A thin client for the PowerFlex 3.x gateway (/api): token login, renewal on 401 with one
 * retry (as CloudStack's ScaleIOGatewayClient, goscaleio and cinder do), vendor errors mapped
 * into the taxonomy. Reads (GETs and query actions) are retried a bounded number of times on
 * transient failures; changes are not, because a change that timed out may still have
 * happened: the driver's idempotent operations recover by looking first, and the storage
 * service retries them as a whole.
 */
export class PowerFlexClient {
  private readonly http: JsonHttpClient;
  private token: string | undefined;
  private issuedAt = 0;
  private usedAt = 0;
  private login: Promise<string> | undefined;
  private bearer = false;
  private readonly readRetries: number;
  private readonly retryDelayMs: number;

  constructor(private readonly options: PowerFlexClientOptions) {
    this.http = new JsonHttpClient({
      baseUrl: options.gatewayUrl,
      timeoutMs: options.timeoutMs,
      maxConnections: options.maxConnections,
      label: 'PowerFlex gateway',
    });
    this.readRetries = options.readRetries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 200;
  }

  /** The gateway's version ("3.6"); 4.x gateways want the token as a Bearer header. */
  async version(): Promise<string> {
    const response = await this.transport({ method: 'GET', path: '/api/version' }, 'read gateway version');
    if (response.status !== 200) throw toPowerFlexError(response.status, response.text, 'read gateway version');
    const version = String(parse(response.text, 'read gateway version'));
    this.bearer = Number.parseFloat(version) >= 4;
    return version;
  }

  /**
   * Logs in now unless a session exists (connect uses it to report bad credentials early).
   * Sessions are few (the gateway allows 128 logged-in clients), so one is kept per driver.
   */
  async authenticate(): Promise<void> {
    await this.currentToken();
  }

  async logout(): Promise<void> {
    const token = this.token;
    this.token = undefined;
    if (token === undefined) return;
    await this.transport({ method: 'GET', path: '/api/logout', headers: this.auth(token) }, 'log out').catch(() => undefined);
  }

  get<T>(path: string, operation: string): Promise<T> {
    return this.call<T>('GET', path, undefined, operation, true);
  }

  /** A POST that changes nothing (queryIdByKey, queryBySelectedIds): safe to retry. */
  query<T>(path: string, body: unknown, operation: string): Promise<T> {
    return this.call<T>('POST', path, body, operation, true);
  }

  /** A POST that changes the array: never repeated here. */
  action<T>(path: string, body: unknown, operation: string): Promise<T> {
    return this.call<T>('POST', path, body, operation, false);
  }

  // ---- typed calls -----------------------------------------------------------

  listStoragePools(): Promise<PfStoragePool[]> {
    return this.get('/api/types/StoragePool/instances', 'list storage pools');
  }
  getProtectionDomain(id: string): Promise<PfProtectionDomain> {
    return this.get(`/api/instances/ProtectionDomain::${id}`, `read protection domain ${id}`);
  }
  listProtectionDomains(): Promise<PfProtectionDomain[]> {
    return this.get('/api/types/ProtectionDomain/instances', 'list protection domains');
  }
  poolStatistics(poolId: string): Promise<PfStatistics> {
    return this.get(`/api/instances/StoragePool::${poolId}/relationships/Statistics`, `read statistics of storage pool ${poolId}`);
  }
  poolVolumes(poolId: string): Promise<PfVolume[]> {
    return this.get(`/api/instances/StoragePool::${poolId}/relationships/Volume`, `list volumes of storage pool ${poolId}`);
  }
  getVolume(id: string, name: string): Promise<PfVolume> {
    return this.get(`/api/instances/Volume::${id}`, `read volume ${name}`);
  }

  /** The volume (or snapshot) of that name anywhere in the system, or undefined. */
  async findVolume(name: string): Promise<PfVolume | undefined> {
    let id: string;
    try {
      id = await this.query<string>('/api/types/Volume/instances/action/queryIdByKey', { name }, `find volume ${name}`);
    } catch (error) {
      if (isBackendError(error) && error.kind === 'not_found') return undefined;
      throw error;
    }
    try {
      return await this.getVolume(id, name);
    } catch (error) {
      // Removed between the two calls.
      if (isBackendError(error) && error.kind === 'not_found') return undefined;
      throw error;
    }
  }

  volumesByIds(ids: readonly string[], operation: string): Promise<PfVolume[]> {
    return this.query('/api/types/Volume/instances/action/queryBySelectedIds', { ids }, operation);
  }

  volumeAction<T = unknown>(id: string, action: string, body: Record<string, string>, operation: string): Promise<T> {
    return this.action(`/api/instances/Volume::${id}/action/${action}`, body, operation);
  }

  getVTree(id: string, operation: string): Promise<PfVTree> {
    return this.get(`/api/instances/VTree::${id}`, operation);
  }
  vtreeVolumes(id: string, operation: string): Promise<PfVolume[]> {
    return this.get(`/api/instances/VTree::${id}/relationships/Volume`, operation);
  }
  vtreeStatistics(id: string, operation: string): Promise<PfStatistics> {
    return this.get(`/api/instances/VTree::${id}/relationships/Statistics`, operation);
  }

  listSdcs(): Promise<PfSdc[]> {
    return this.get('/api/types/Sdc/instances', 'list SDCs');
  }
  getSdc(id: string): Promise<PfSdc> {
    return this.get(`/api/instances/Sdc::${id}`, `read SDC ${id}`);
  }
  async findSdcIdByIp(ip: string): Promise<string | undefined> {
    try {
      return await this.query<string>('/api/types/Sdc/instances/action/queryIdByKey', { ip }, `find SDC with IP ${ip}`);
    } catch (error) {
      if (isBackendError(error) && error.kind === 'not_found') return undefined;
      throw error;
    }
  }

  snapshotVolumes(
    defs: readonly { volumeId: string; snapshotName: string }[],
    accessModeLimit: 'ReadOnly' | 'ReadWrite',
    operation: string,
  ): Promise<{ snapshotGroupId: string; volumeIdList: string[] }> {
    return this.action('/api/instances/System/action/snapshotVolumes', { snapshotDefs: defs, accessModeLimit }, operation);
  }

  removeConsistencyGroupSnapshots(systemId: string, groupId: string, operation: string): Promise<unknown> {
    return this.action(`/api/instances/System::${systemId}/action/removeConsistencyGroupSnapshots`, { snapGroupId: groupId }, operation);
  }

  // ---- plumbing --------------------------------------------------------------

  private async call<T>(method: Method, path: string, body: unknown, operation: string, retryable: boolean): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return (await this.authenticated(method, path, body, operation)) as T;
      } catch (error) {
        if (!retryable || attempt >= this.readRetries || !isBackendError(error) || error.kind !== 'transient') throw error;
        await sleep(this.retryDelayMs * 2 ** attempt);
      }
    }
  }

  /** One request with the current token; on 401 a fresh login and exactly one more try. */
  private async authenticated(method: Method, path: string, body: unknown, operation: string): Promise<unknown> {
    const token = await this.currentToken();
    let response = await this.transport({ method, path, body, headers: this.auth(token) }, operation);
    if (response.status === 401) {
      const fresh = await this.renew(token);
      response = await this.transport({ method, path, body, headers: this.auth(fresh) }, operation);
      if (response.status === 401) {
        throw new BackendError(
          'terminal',
          'powerflex.unauthorized',
          `${operation} failed: authentication failed, the PowerFlex gateway refused a freshly issued token (401); check the API user's role`,
          { details: { httpStatus: 401 } },
        );
      }
    }
    // Any answer but a 401 used the session, which restarts the gateway's idle clock.
    this.usedAt = Date.now();
    if (response.status >= 200 && response.status < 300) return parse(response.text, operation);
    throw toPowerFlexError(response.status, response.text, operation);
  }

  private async currentToken(): Promise<string> {
    const token = this.token;
    if (token === undefined) return this.renew(undefined);
    const now = Date.now();
    const idle = this.options.sessionIdleMs ?? 9 * 60_000;
    const max = this.options.sessionMaxMs ?? 7.5 * 3_600_000;
    if (now - this.usedAt > idle || now - this.issuedAt > max) return this.renew(token);
    return token;
  }

  /** One login at a time: concurrent 401s share it instead of each logging in. */
  private renew(stale: string | undefined): Promise<string> {
    if (this.token !== undefined && this.token !== stale) return Promise.resolve(this.token);
    if (this.login === undefined) {
      this.token = undefined;
      this.login = this.doLogin().finally(() => {
        this.login = undefined;
      });
    }
    return this.login;
  }

  private async doLogin(): Promise<string> {
    const basic = Buffer.from(`${this.options.username}:${this.options.password}`, 'utf8').toString('base64');
    const response = await this.transport({ method: 'GET', path: '/api/login', headers: { authorization: `Basic ${basic}` } }, 'log in');
    if (response.status === 401 || response.status === 403) {
      // No user name or password in the message: it ends up in jobs and logs.
      throw new BackendError('terminal', 'powerflex.login_failed', 'log in to the PowerFlex gateway failed: authentication failed, the user name or password was refused', {
        details: { httpStatus: response.status },
      });
    }
    if (response.status !== 200) throw toPowerFlexError(response.status, response.text, 'log in to the PowerFlex gateway');
    const token = parse(response.text, 'log in');
    if (typeof token !== 'string' || token === '') {
      throw new BackendError('terminal', 'powerflex.login_failed', 'log in to the PowerFlex gateway failed: it answered without a token');
    }
    this.token = token;
    this.issuedAt = Date.now();
    this.usedAt = this.issuedAt;
    return token;
  }

  private auth(token: string): Record<string, string> {
    if (this.bearer) return { authorization: `Bearer ${token}` };
    // 3.x: Basic with the token as the password (the user part is ignored).
    return { authorization: `Basic ${Buffer.from(`${this.options.username}:${token}`, 'utf8').toString('base64')}` };
  }

  private async transport(
    request: { method: Method; path: string; body?: unknown; headers?: Record<string, string> },
    operation: string,
  ): Promise<HttpResponse> {
    try {
      return await this.http.request(request);
    } catch (error) {
      if (isBackendError(error)) {
        throw new BackendError(error.kind, error.code, `${operation} failed: ${error.message}`, { cause: error, details: error.details });
      }
      throw new BackendError('transient', 'http.unreachable', `${operation} failed: ${String(error)}`, { cause: error });
    }
  }
}

/** Bodies are JSON; action answers are often empty. */
function parse(text: string, operation: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BackendError('terminal', 'powerflex.bad_response', `${operation}: the PowerFlex gateway answered with something other than JSON`, {
      cause: error,
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
