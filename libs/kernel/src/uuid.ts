import { createHash } from 'node:crypto';

/** Strata's namespace for name-based ids (a fixed random UUID; changing it changes every derived id). */
const STRATA_NAMESPACE = '6f1d2c3e-8b4a-4f5e-9a7b-1c2d3e4f5a6b';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An RFC 4122 version-5 UUID from a name: the same name always gives the same id, so a
 * command derived from other facts (a policy's due time, a maintenance's next move) has one
 * id whoever computes it, and its repetition is recognised as the same command.
 */
export function uuidFromName(name: string, namespace: string = STRATA_NAMESPACE): string {
  if (!UUID.test(namespace)) throw new RangeError(`namespace must be a UUID, got ${JSON.stringify(namespace)}`);
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
