import { DomainError, ErrorCategory, type FieldViolation } from '@strata/kernel';

export const PolicyErrors = {
  /** A schedule broke one or more rules; every violation names its field and rule. */
  invalidSchedule: (violations: readonly FieldViolation[]) =>
    new DomainError(
      'policy.invalid_schedule',
      ErrorCategory.Validation,
      `invalid snapshot policy: ${violations.map((v) => v.message).join('; ')}`,
      { violations },
    ),

  alreadyExists: (policyId: string) =>
    new DomainError('policy.already_exists', ErrorCategory.Conflict, `snapshot policy ${policyId} already exists`, { policyId }),
  notFound: (policyId: string) =>
    new DomainError('policy.not_found', ErrorCategory.NotFound, `snapshot policy ${policyId} does not exist`, { policyId }),
  deleted: (policyId: string) =>
    new DomainError('policy.deleted', ErrorCategory.Conflict, `snapshot policy ${policyId} is deleted already`, { policyId }),
  volumeUnknown: (volumeId: string) =>
    new DomainError('policy.volume_not_found', ErrorCategory.NotFound, `volume ${volumeId} does not exist (or is deleted)`, {
      volumeId,
      violations: [{ field: 'data.volumeId', rule: 'exists', message: `volume ${volumeId} does not exist` }],
    }),
};
