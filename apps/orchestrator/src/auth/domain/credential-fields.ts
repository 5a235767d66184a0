/**
 * Which requests carry credentials, so that only an admin key may send them. Answers the
 * field that makes a body a credential operation, or null. Pure: the plugins' secret keys
 * come in as a function.
 */

/** The endpoints whose body may carry a credential. */
export type CredentialRule = 'pool' | 'backup-target';

/** A `KEY=VALUE;` pair or a query parameter whose key names a credential (SP_AUTH_TOKEN=...). */
const CREDENTIAL_KEY = /token|pass|secret|auth|key/i;

/**
 * POST /pools and PATCH /pools/{id}: a pool URL with user info (powerflex://user:pass@...,
 * storpool://token@...) or a token (SP_AUTH_TOKEN=..., ?token=...), or a config key the
 * plugin's manifest lists as secret. `secretKeysOf` gives the plugin's secret keys; for a
 * plugin it does not know, every plugin's (a body that names no known plugin is refused
 * later anyway, but must not slip through here).
 */
export function poolCredentialField(body: unknown, secretKeysOf: (plugin: unknown) => readonly string[]): string | null {
  if (!isRecord(body)) return null;
  if (typeof body.url === 'string' && urlCarriesCredential(body.url)) return 'url';
  const config = body.config;
  if (isRecord(config)) {
    const secret = secretKeysOf(body.plugin).find((key) => config[key] !== undefined && config[key] !== null);
    if (secret !== undefined) return `config.${secret}`;
  }
  return null;
}

/** POST /backup-targets: a target of kind s3 carries its secret access key. */
export function backupTargetCredentialField(body: unknown): string | null {
  return isRecord(body) && body.kind === 's3' ? 's3.secretAccessKey' : null;
}

export function credentialFieldOf(rule: CredentialRule, body: unknown, secretKeysOf: (plugin: unknown) => readonly string[]): string | null {
  return rule === 'pool' ? poolCredentialField(body, secretKeysOf) : backupTargetCredentialField(body);
}

export function urlCarriesCredential(url: string): boolean {
  for (const pair of url.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && !pair.slice(0, eq).includes('/') && CREDENTIAL_KEY.test(pair.slice(0, eq))) return true;
  }
  // user info: anything between "//" and the first "@" before the path.
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(url)?.[1];
  if (authority?.includes('@')) return true;
  const query = url.indexOf('?');
  if (query >= 0) {
    for (const key of new URLSearchParams(url.slice(query + 1).split('#')[0]).keys()) if (CREDENTIAL_KEY.test(key)) return true;
  }
  return false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
