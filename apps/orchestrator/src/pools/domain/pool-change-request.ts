import type { FieldViolation } from '@strata/kernel';

/** The settings PATCH /pools/{id} may change (UpdateStoragePool); the command's rules check each. */
export const POOL_SETTING_NAMES = [
  'name',
  'tags',
  'hypervisors',
  'capacityIops',
  'overProvisioningFactor',
  'allocationDisableThreshold',
] as const;

/**
 * What the command rules cannot see wrong with a PATCH body: every field is optional
 * there, so `{}` passes them, yet it asks for no change at all. Anything that is not an
 * object is the command rules' to report.
 */
export function updatePoolViolations(body: unknown): FieldViolation[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length > 0) return [];
  return [{ field: 'body', rule: 'notEmpty', message: `body must set at least one of: ${POOL_SETTING_NAMES.join(', ')}` }];
}

/**
 * The data of a command whose body may be left out (enable, disable, refresh-capacity):
 * no body is `{}`. A body that is sent is checked as it is, so unknown fields are refused.
 */
export function optionalBody(body: unknown): unknown {
  return body === undefined || body === null || body === '' ? {} : body;
}
