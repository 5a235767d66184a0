import { uuidFieldOf } from '../../commands/domain/command-request';

/**
 * The host id an attach or detach body names, when it is well formed enough to look up;
 * anything else is left to the command's rules, which name the field.
 */
export function hostIdOf(body: unknown): string | undefined {
  return uuidFieldOf(body, 'hostId');
}

/** The pool id a manage body names, when it is a UUID to look up (the command's rules report the rest). */
export function poolIdOf(body: unknown): string | undefined {
  return uuidFieldOf(body, 'poolId');
}
