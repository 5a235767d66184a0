import type { FieldViolation } from '@strata/kernel';
import { buildCommandEnvelope, checkCommand } from '../../commands/domain/command-request';
import type { TemplateRow } from '../../read-model/domain/rows';

/** What POST /templates/{id}/volumes takes. */
const FIELDS = ['name', 'poolId', 'sizeBytes', 'hypervisor', 'dataMoverHostId'] as const;

export interface DeployRequest {
  readonly name: string;
  readonly poolId: string;
  readonly sizeBytes: number;
  readonly hypervisor: string | null;
  /** The host that writes the template into the pool's cached base; null: the storage service's default. */
  readonly dataMoverHostId: string | null;
}

export type DeployRequestCheck = { readonly ok: true; readonly request: DeployRequest } | { readonly ok: false; readonly violations: FieldViolation[] };

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

// Stands in for the base's ids, known only once it is spooled: the rest of the CreateVolume is checked now.
const PLACEHOLDER = '00000000-0000-4000-8000-000000000000';

/**
 * The body checked as far as it can be before the saga starts: only the known fields; the
 * CreateVolume rules the storage service will apply (name, poolId, sizeBytes, hypervisor);
 * sizeBytes, the template's virtual size when left out, never smaller than it (a clone can
 * grow, not shrink).
 */
export function checkDeployRequest(body: unknown, template: Pick<TemplateRow, 'virtualSizeBytes'>): DeployRequestCheck {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, violations: [{ field: 'body', rule: 'isObject', message: 'body must be a JSON object' }] };
  }
  const given = body as Record<string, unknown>;
  const violations: FieldViolation[] = Object.keys(given)
    .filter((k) => !(FIELDS as readonly string[]).includes(k))
    .map((k) => ({ field: k, rule: 'whitelistValidation', message: `property ${k} should not exist` }));
  const minimum = template.virtualSizeBytes ?? 1;
  const sizeBytes = given.sizeBytes === undefined ? minimum : given.sizeBytes;
  const data = {
    name: given.name,
    sizeBytes,
    volumeType: 'ROOT',
    poolId: given.poolId,
    fromSnapshot: { snapshotId: PLACEHOLDER, volumeId: PLACEHOLDER },
    ...(given.hypervisor !== undefined ? { hypervisor: given.hypervisor } : {}),
  };
  const envelope = buildCommandEnvelope({
    type: 'CreateVolume',
    commandId: PLACEHOLDER,
    aggregateId: PLACEHOLDER,
    occurredAt: new Date(0),
    tenant: null,
    correlationId: null,
    data,
  });
  const check = checkCommand(envelope);
  if (!check.ok) violations.push(...check.violations);
  // CreateVolume fromSnapshot may leave the pool out (the snapshot's); a deployment names it.
  if (given.poolId === undefined) violations.push({ field: 'poolId', rule: 'isUuid', message: 'poolId must be the pool to deploy on (a UUID)' });
  if (given.dataMoverHostId !== undefined && (typeof given.dataMoverHostId !== 'string' || !UUID_V4.test(given.dataMoverHostId))) {
    violations.push({ field: 'dataMoverHostId', rule: 'isUuid', message: 'dataMoverHostId must be a registered host id (a UUID v4)' });
  }
  if (typeof sizeBytes === 'number' && Number.isSafeInteger(sizeBytes) && sizeBytes < minimum) {
    violations.push({ field: 'sizeBytes', rule: 'notBelowVirtualSize', message: `sizeBytes must not be less than the template's virtual size (${minimum})` });
  }
  if (violations.length > 0) return { ok: false, violations };
  return {
    ok: true,
    request: {
      name: given.name as string,
      poolId: (given.poolId as string).toLowerCase(),
      sizeBytes: sizeBytes as number,
      hypervisor: typeof given.hypervisor === 'string' ? given.hypervisor : null,
      dataMoverHostId: typeof given.dataMoverHostId === 'string' ? given.dataMoverHostId.toLowerCase() : null,
    },
  };
}
