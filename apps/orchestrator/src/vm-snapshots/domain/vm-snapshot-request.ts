import type { FieldViolation } from '@strata/kernel';
import type { VolumeRow } from '../../read-model/domain/rows';

/**
 * The owner of a VM snapshot: its volumes' tenant (the envelope's tenant is the resource's
 * owner, also when an operator asks). A tenant's request names only its own volumes (the
 * lookup answers 404 for any other); an operator's must name volumes of one owner, since one
 * VM snapshot cannot belong to two tenants.
 */
export function vmSnapshotOwnerOf(volumes: readonly VolumeRow[], callerTenant: string | null): { tenant: string | null; violations: FieldViolation[] } {
  if (callerTenant !== null || volumes.length === 0) return { tenant: callerTenant, violations: [] };
  const tenants = [...new Set(volumes.map((v) => v.tenant))];
  if (tenants.length === 1) return { tenant: tenants[0], violations: [] };
  return {
    tenant: null,
    violations: [{ field: 'volumeIds', rule: 'sameTenant', message: 'volumeIds must all be volumes of one tenant (or all operator volumes)' }],
  };
}
