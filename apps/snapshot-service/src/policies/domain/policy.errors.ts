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
};
