import { DomainError, ErrorCategory } from '@strata/kernel';

/**
 * Every refusal of an image store command, with its stable code. Codes travel in
 * CommandRejected and jobs, so they are never renamed; new ones are added.
 */
export const ImageStoreErrors = {
  alreadyExists: (imageStoreId: string) =>
    new DomainError('imagestore.already_exists', ErrorCategory.Conflict, `image store ${imageStoreId} already exists`, { imageStoreId }),
  notFound: (imageStoreId: string) =>
    new DomainError('imagestore.not_found', ErrorCategory.NotFound, `image store ${imageStoreId} does not exist`, { imageStoreId }),
  pathUnusable: (path: string, reason: string) =>
    new DomainError('imagestore.path_unusable', ErrorCategory.Validation, `image store path ${path} is unusable: ${reason}`, {
      path,
      violations: [{ field: 'data.path', rule: 'usable', message: `${path} ${reason}` }],
    }),
  inUse: (imageStoreId: string, templateIds: readonly string[]) =>
    new DomainError(
      'imagestore.in_use',
      ErrorCategory.IllegalState,
      `image store ${imageStoreId} holds ${templateIds.length} template(s) (${templateIds.join(', ')}): delete them or copy them away first`,
      { imageStoreId, templateIds },
    ),
  noneInZone: (zoneId: string) =>
    new DomainError('imagestore.none_in_zone', ErrorCategory.NotFound, `zone ${zoneId} has no image store: add one first`, {
      zoneId,
      violations: [{ field: 'data.zoneId', rule: 'has_image_store', message: `zone ${zoneId} has no image store` }],
    }),
};
