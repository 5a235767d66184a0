import type { FieldViolation } from '@strata/kernel';
import { isBackendError, type BackendPlugin } from '@strata/plugin-sdk';

/** The registered backends, as this check needs them. */
export interface PluginLookup {
  readonly plugins: readonly BackendPlugin[];
  find(name: string): BackendPlugin | undefined;
}

/** Where the settings came from, which is also the prefix of the fields the caller sees. */
type Source = 'config' | 'url';

/** Secrets shorter than this are not searched for in messages: replacing them would garble the text and hide nothing. */
const MIN_SCRUBBED_LENGTH = 3;
const CREDENTIAL_KEY = /token|pass|secret|auth|key/i;

/**
 * The plugin's own checks of a POST /pools body, run before the command is queued: the
 * plugin must be registered, its pool URL (when given) must parse, and the resulting
 * config must pass the plugin's class-validator schema. Violations are named as the REST
 * caller sees them (`config.port`, `url.template`) and carry no secret from the request.
 *
 * Only what the envelope check cannot judge is judged here: a body that is not an object,
 * a plugin that is not a string, both config and url (or neither) are the command rules'
 * to report, so this check says nothing about them.
 */
export function checkPoolBackendSettings(body: unknown, registry: PluginLookup): FieldViolation[] {
  if (!isRecord(body) || typeof body.plugin !== 'string') return [];
  const plugin = registry.find(body.plugin);
  if (!plugin) {
    const names = registry.plugins.map((p) => p.manifest.name).join(', ');
    return [{ field: 'plugin', rule: 'isIn', message: `plugin must be one of the registered plugins: ${names}` }];
  }
  const { config, url } = body;
  if (url !== undefined) {
    if (config !== undefined || typeof url !== 'string') return [];
    return checkUrl(plugin, url);
  }
  if (!isRecord(config)) return [];
  const secrets = secretValues(plugin, config);
  return scrubbed(parseConfig(plugin, config, 'config'), secrets);
}

function checkUrl(plugin: BackendPlugin, url: string): FieldViolation[] {
  const name = plugin.manifest.name;
  if (!plugin.parseUrl) {
    return [{ field: 'url', rule: 'urlSupported', message: `the ${name} plugin takes no pool URL; give config instead` }];
  }
  const secrets = urlSecrets(url);
  let raw: Record<string, unknown>;
  try {
    raw = plugin.parseUrl(url);
  } catch (error) {
    return scrubbed(refusal(error, 'url', `url cannot be read as a ${name} pool URL`), secrets);
  }
  return scrubbed(parseConfig(plugin, raw, 'url'), [...secrets, ...secretValues(plugin, raw)]);
}

function parseConfig(plugin: BackendPlugin, raw: Record<string, unknown>, source: Source): FieldViolation[] {
  try {
    plugin.parseConfig(raw);
    return [];
  } catch (error) {
    return refusal(error, source, `${source} is not a valid ${plugin.manifest.name} configuration`);
  }
}

/**
 * The violations a plugin's refusal names, renamed for the REST caller. Anything else a
 * plugin throws (a bug, or a library error on odd input) still means it cannot use these
 * settings; its message is not shown, since it may quote them.
 */
function refusal(error: unknown, source: Source, fallback: string): FieldViolation[] {
  if (isBackendError(error) && error.kind === 'invalid') {
    const violations = error.details.violations ?? [];
    if (violations.length > 0) return violations.map((v) => renamed(v, source));
    return [{ field: source, rule: 'invalid', message: fallback }];
  }
  return [{ field: source, rule: 'invalid', message: fallback }];
}

/** `port` of the config is `config.port`; what the URL parser calls `url` (the whole URL) stays `url`. */
function renamed(violation: FieldViolation, source: Source): FieldViolation {
  const own = violation.field;
  const field = own === source || own === '' ? source : /^[A-Za-z_$][\w$.-]*$/.test(own) ? `${source}.${own}` : source;
  const message = own !== '' && violation.message.startsWith(`${own} `) ? field + violation.message.slice(own.length) : violation.message;
  return { field, rule: violation.rule, message };
}

/** Values of the manifest's secret keys present in a raw config, as text. */
function secretValues(plugin: BackendPlugin, config: Record<string, unknown>): string[] {
  return plugin.manifest.secretConfigKeys
    .map((key) => config[key])
    .filter((value): value is string | number => typeof value === 'string' || typeof value === 'number')
    .map(String);
}

/**
 * What in a pool URL may be a credential, found without the plugin (whose parser may have
 * failed half-way): the whole URL, its user and password parts (raw and decoded), and the
 * values of `KEY=VALUE;` pairs whose key names a token, password or secret.
 */
function urlSecrets(url: string): string[] {
  const found = [url];
  try {
    const parsed = new URL(url);
    for (const part of [parsed.username, parsed.password]) found.push(part, safeDecode(part));
  } catch {
    // Not a URL: the pairs below, or nothing more.
  }
  for (const pair of url.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && CREDENTIAL_KEY.test(pair.slice(0, eq))) found.push(pair.slice(eq + 1).trim());
  }
  return found;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Replaces every known secret in the messages, longest first (a secret may contain a
 * shorter one). Plugins promise messages without values; this holds even if one forgets.
 */
function scrubbed(violations: FieldViolation[], secrets: readonly string[]): FieldViolation[] {
  const hidden = [...new Set(secrets.filter((s) => s.length >= MIN_SCRUBBED_LENGTH))].sort((a, b) => b.length - a.length);
  if (hidden.length === 0) return violations;
  const scrub = (text: string) => hidden.reduce((out, secret) => out.split(secret).join('***'), text);
  return violations.map((v) => ({ ...v, message: scrub(v.message) }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
