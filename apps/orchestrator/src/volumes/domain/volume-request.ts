const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * The host id an attach or detach body names, when it is well formed enough to look up;
 * anything else is left to the command's rules, which name the field.
 */
export function hostIdOf(body: unknown): string | undefined {
  const hostId = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { hostId?: unknown }).hostId : undefined;
  return isUuid(hostId) ? hostId.toLowerCase() : undefined;
}

/** The pool id a manage body names, when it is a UUID to look up (the command's rules report the rest). */
export function poolIdOf(body: unknown): string | undefined {
  const poolId = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { poolId?: unknown }).poolId : undefined;
  return isUuid(poolId) ? poolId.toLowerCase() : undefined;
}
