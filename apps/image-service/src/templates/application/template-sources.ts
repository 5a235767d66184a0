import type { ImageFormat, TemplateKind } from '@strata/contracts';

/** What the spooling side needs to know of a template: is it ready, and where is its file in a zone. */
export interface TemplateSource {
  readonly templateId: string;
  readonly status: 'absent' | 'registering' | 'ready' | 'failed' | 'deleting' | 'deleted';
  readonly kind: TemplateKind | null;
  /** The ready copy on the zone's image store, or null when the template has none there. */
  readonly copyInZone: {
    readonly imageStoreId: string;
    /** Absolute path of the file. */
    readonly path: string;
    readonly format: ImageFormat;
    readonly virtualSizeBytes: number;
  } | null;
}

/** Read side of the templates context, for the bases context (implemented by the templates context). */
export abstract class TemplateSources {
  abstract sourceFor(templateId: string, zoneId: string): Promise<TemplateSource>;
}
