import { DomainError, ErrorCategory } from '@strata/kernel';

/** Refusals of SpoolTemplate; each names the field the caller must change. */
export const TemplateBaseErrors = {
  templateNotFound: (templateId: string) =>
    new DomainError('template.not_found', ErrorCategory.NotFound, `template ${templateId} does not exist`, {
      templateId,
      violations: [{ field: 'data.templateId', rule: 'exists', message: `template ${templateId} does not exist (or is deleted)` }],
    }),
  templateNotReady: (templateId: string, status: string) =>
    new DomainError('template.not_ready', ErrorCategory.IllegalState, `template ${templateId} is ${status}: only a ready template is spooled`, {
      templateId,
      status,
      violations: [{ field: 'data.templateId', rule: 'ready', message: `template ${templateId} is ${status}, not ready` }],
    }),
  templateIsIso: (templateId: string) =>
    new DomainError('template.is_iso', ErrorCategory.Validation, `template ${templateId} is an ISO: ISOs are attached, not spooled onto pools`, {
      templateId,
      violations: [{ field: 'data.templateId', rule: 'notIso', message: `template ${templateId} is an ISO` }],
    }),
  templateNotInZone: (templateId: string, zoneId: string) =>
    new DomainError(
      'template.not_in_zone',
      ErrorCategory.IllegalState,
      `template ${templateId} has no ready copy in zone ${zoneId}, the pool's zone: copy it there first (CopyTemplate)`,
      {
        templateId,
        zoneId,
        violations: [{ field: 'data.templateId', rule: 'copyInZone', message: `template ${templateId} has no copy in zone ${zoneId}` }],
      },
    ),
  poolNotFound: (poolId: string) =>
    new DomainError('pool.not_found', ErrorCategory.NotFound, `storage pool ${poolId} does not exist`, {
      poolId,
      violations: [{ field: 'data.poolId', rule: 'exists', message: `storage pool ${poolId} does not exist (or is deleted)` }],
    }),
  baseRetiring: (baseId: string) =>
    new DomainError('template_base.retiring', ErrorCategory.IllegalState, `the cached base ${baseId} is being retired`, {
      baseId,
      violations: [{ field: 'data.templateId', rule: 'notRetiring', message: 'the template\'s base on this pool is being retired' }],
    }),
};
