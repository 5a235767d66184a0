import { createHash, randomBytes } from 'node:crypto';

/** Every key Strata makes starts so, which makes a leaked one easy to recognise (secret scanners). */
export const API_KEY_PREFIX = 'stk_';

/** 32 random bytes: 256 bits, so a fast hash is enough and nobody can guess one. */
const SECRET_BYTES = 32;

/** Characters of the secret shown in views, after `stk_`, so an operator can tell keys apart. */
const SHOWN_CHARACTERS = 8;

/** The longest Authorization value worth hashing; anything longer is no key of ours. */
export const MAX_KEY_LENGTH = 512;

/** A new key: `stk_` and 43 base64url characters. */
export function newApiKeySecret(bytes: Buffer = randomBytes(SECRET_BYTES)): string {
  if (bytes.length !== SECRET_BYTES) throw new Error(`an API key takes ${SECRET_BYTES} random bytes, got ${bytes.length}`);
  return API_KEY_PREFIX + bytes.toString('base64url');
}

/**
 * What the table keeps and looks keys up by. sha256 without salt or stretching: the secret
 * is 256 random bits (or the bootstrap key, which an operator chooses long), so there is no
 * dictionary to attack, and a slow hash would only slow every request.
 */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The start of a key as views show it (`stk_AbCdEfGh`): enough to recognise, far too little to use. */
export function shownPrefix(secret: string): string {
  const start = secret.startsWith(API_KEY_PREFIX) ? API_KEY_PREFIX.length : 0;
  return secret.slice(0, start + SHOWN_CHARACTERS);
}

export const BOOTSTRAP_KEY_VARIABLE = 'STRATA_BOOTSTRAP_ADMIN_KEY';
export const MIN_BOOTSTRAP_KEY_LENGTH = 32;

/** Why a bootstrap key cannot be used, or null when it can. */
export function bootstrapKeyProblem(value: string): string | null {
  if (value.length < MIN_BOOTSTRAP_KEY_LENGTH) {
    return `${BOOTSTRAP_KEY_VARIABLE}: at least ${MIN_BOOTSTRAP_KEY_LENGTH} characters (\`npm start\` makes one: stk_ and 43 base64url characters)`;
  }
  if (value.length > MAX_KEY_LENGTH) return `${BOOTSTRAP_KEY_VARIABLE}: at most ${MAX_KEY_LENGTH} characters`;
  // It travels in an HTTP header: no spaces or control characters.
  if (!/^[\x21-\x7e]+$/.test(value)) return `${BOOTSTRAP_KEY_VARIABLE}: printable ASCII characters only, no spaces`;
  return null;
}
