import { DomainError, ErrorCategory, type FieldViolation } from '@strata/kernel';

export const ScheduleErrors = {
  /** A schedule broke one or more rules; every violation names its field and rule. */
  invalid: (violations: readonly FieldViolation[], what = 'schedule') =>
    new DomainError('schedule.invalid', ErrorCategory.Validation, `invalid ${what}: ${violations.map((v) => v.message).join('; ')}`, { violations }),
};
