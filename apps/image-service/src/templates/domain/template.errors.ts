import { DomainError, ErrorCategory } from '@strata/kernel';

/**
 * Every refusal of a template command, with its stable code. Codes travel in
 * CommandRejected and jobs, so they are never renamed; new ones are added.
 */
export const TemplateErrors = {
  alreadyExists: (templateId: string) =>
    new DomainError('template.already_exists', ErrorCategory.Conflict, `template ${templateId} already exists`, { templateId }),
  notFound: (templateId: string) =>
    new DomainError('template.not_found', ErrorCategory.NotFound, `template ${templateId} does not exist`, { templateId }),
  notReady: (templateId: string, status: string) =>
    new DomainError('template.not_ready', ErrorCategory.IllegalState, `template ${templateId} is ${status}: it can be copied once it is ready`, {
      templateId,
      status,
    }),
  alreadyInZone: (templateId: string, zoneId: string) =>
    new DomainError('template.already_in_zone', ErrorCategory.Conflict, `template ${templateId} already has a copy in zone ${zoneId}`, {
      templateId,
      zoneId,
      violations: [{ field: 'data.zoneId', rule: 'not_already_there', message: `template ${templateId} is already in zone ${zoneId}` }],
    }),
  operationInProgress: (templateId: string, operation: string) =>
    new DomainError('template.operation_in_progress', ErrorCategory.Conflict, `template ${templateId} is busy (${operation}): try again once it ends`, {
      templateId,
      operation,
    }),
  deletionInProgress: (templateId: string) =>
    new DomainError('template.deletion_in_progress', ErrorCategory.Conflict, `template ${templateId} is already being deleted`, { templateId }),
  /** An update that changes nothing is refused rather than ignored, so its job ends (as pool.unchanged). */
  unchanged: (templateId: string) =>
    new DomainError('template.unchanged', ErrorCategory.Validation, `the update changes nothing on template ${templateId}`, { templateId }),
  illegalState: (templateId: string, status: string, action: string) =>
    new DomainError('template.illegal_state', ErrorCategory.IllegalState, `template ${templateId} is ${status}: cannot ${action}`, {
      templateId,
      status,
      action,
    }),
};
