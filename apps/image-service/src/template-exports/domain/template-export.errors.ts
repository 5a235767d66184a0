import { DomainError, ErrorCategory } from '@strata/kernel';

/** Refusals of CreateTemplateFromVolume beyond the template's own (template.*) and the store's (imagestore.*). */
export const TemplateExportErrors = {
  /**
   * A template from a snapshot needs the snapshot's size for its temporary volume; the image
   * service's view of the storage and snapshot events has neither the snapshot nor its
   * volume (unknown, or not yet seen: the view lags the other services by a Kafka hop).
   */
  sourceUnknown: (volumeId: string, snapshotId: string) =>
    new DomainError(
      'template.source_unknown',
      ErrorCategory.NotFound,
      `neither snapshot ${snapshotId} nor volume ${volumeId} is known to the image service (yet): try again shortly`,
      {
        volumeId,
        snapshotId,
        violations: [{ field: 'data.snapshotId', rule: 'known', message: `snapshot ${snapshotId} of volume ${volumeId} is not known` }],
      },
    ),
};
