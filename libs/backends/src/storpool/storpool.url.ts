import { BackendError, BackendErrorCode } from '@strata/plugin-sdk';

/**
 * The two pool URL formats of the StorPool plugin guide, turned into a raw
 * config for parseConfig:
 * - `storpool://<SP_AUTH_TOKEN>@<host>[:<port>]/<SP_TEMPLATE>`
 * - `SP_API_HTTP=<host>[:<port>];SP_AUTH_TOKEN=<token>;SP_TEMPLATE=<template>`
 * Errors name the part at fault, never the token (nor the URL, which holds it).
 */
export function parseStorPoolUrl(url: string): Record<string, unknown> {
  const trimmed = url.trim();
  if (/^storpool:\/\//i.test(trimmed)) return parseSchemeUrl(trimmed);
  if (trimmed.includes('=')) return parseKeyValueUrl(trimmed);
  throw urlError('format', 'the URL must be storpool://token@host:port/template or SP_API_HTTP=host:port;SP_AUTH_TOKEN=token;SP_TEMPLATE=template');
}

function parseSchemeUrl(url: string): Record<string, unknown> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw urlError('format', 'the storpool:// URL cannot be parsed; expected storpool://token@host:port/template');
  }
  if (parsed.password !== '') throw urlError('authToken', 'put the token alone before the @ (storpool://token@host), without a colon');
  const token = decodePart(parsed.username, 'authToken');
  if (token === '') throw urlError('authToken', 'the token (before the @) is missing');
  if (parsed.hostname === '') throw urlError('host', 'the host is missing');
  if (parsed.search !== '' || parsed.hash !== '') throw urlError('query', 'the URL takes no query or fragment');
  const template = decodePart(parsed.pathname.replace(/^\/+/, '').replace(/\/+$/, ''), 'template');
  if (template === '') throw urlError('template', 'the template (the path) is missing');
  if (template.includes('/')) throw urlError('template', 'the path must be a single template name');
  return {
    host: parsed.hostname,
    ...(parsed.port === '' ? {} : { port: Number(parsed.port) }),
    authToken: token,
    template,
  };
}

/** CloudStack's SpConnectionDesc: `;`-separated KEY=VALUE pairs; unknown keys are refused here rather than ignored. */
function parseKeyValueUrl(url: string): Record<string, unknown> {
  const values = new Map<string, string>();
  for (const part of url.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq <= 0) throw urlError('format', 'every part must be KEY=VALUE, separated by ;');
    if (!['SP_API_HTTP', 'SP_AUTH_TOKEN', 'SP_TEMPLATE'].includes(key)) {
      throw urlError(sanitizeKey(key), `unknown key '${sanitizeKey(key)}'; expected SP_API_HTTP, SP_AUTH_TOKEN and SP_TEMPLATE`);
    }
    if (values.has(key)) throw urlError(key, `${key} is given twice`);
    values.set(key, value);
  }
  for (const key of ['SP_API_HTTP', 'SP_AUTH_TOKEN', 'SP_TEMPLATE']) {
    if ((values.get(key) ?? '') === '') throw urlError(key, `${key} is missing or empty`);
  }
  const { host, port } = splitHostPort(values.get('SP_API_HTTP') as string);
  return { host, ...(port === undefined ? {} : { port }), authToken: values.get('SP_AUTH_TOKEN'), template: values.get('SP_TEMPLATE') };
}

function splitHostPort(hostPort: string): { host: string; port?: number } {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(hostPort);
  if (match === null) throw urlError('SP_API_HTTP', 'SP_API_HTTP must be host or host:port');
  return { host: match[1] as string, ...(match[2] === undefined ? {} : { port: Number(match[2]) }) };
}

function decodePart(value: string, field: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw urlError(field, `the ${field} part is not valid percent-encoding`);
  }
}

/** Only keys from the fixed set or a short safe echo, so a token pasted in the wrong place is not repeated. */
function sanitizeKey(key: string): string {
  return /^[A-Z_]{1,32}$/.test(key) ? key : '(not shown)';
}

function urlError(field: string, message: string): BackendError {
  return new BackendError('invalid', BackendErrorCode.ConfigInvalid, `storpool pool URL is invalid: ${message} (${field})`, {
    details: { violations: [{ field, rule: 'storpoolUrl', message }] },
  });
}
