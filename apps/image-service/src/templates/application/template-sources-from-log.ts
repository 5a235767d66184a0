import path from 'node:path';
import { Injectable } from '@nestjs/common';
import { ImageStoreCatalog } from '../../image-stores/application/image-store-catalog';
import { TemplateCatalog } from './template-catalog';
import { TemplateSources, type TemplateSource } from './template-sources';

/** TemplateSources from the template's stream: a copy in the zone counts only once the template is ready. */
@Injectable()
export class TemplateSourcesFromLog extends TemplateSources {
  constructor(
    private readonly catalog: TemplateCatalog,
    private readonly stores: ImageStoreCatalog,
  ) {
    super();
  }

  async sourceFor(templateId: string, zoneId: string): Promise<TemplateSource> {
    const { state } = await this.catalog.load(templateId);
    if (state.status === 'absent') return { templateId, status: 'absent', kind: null, copyInZone: null };
    const copy = state.status === 'ready' ? state.copies.find((c) => c.zoneId === zoneId) : undefined;
    const store = copy ? await this.stores.get(copy.imageStoreId) : null;
    return {
      templateId,
      status: state.status,
      kind: state.kind,
      copyInZone:
        copy && store && state.virtualSizeBytes !== null
          ? { imageStoreId: copy.imageStoreId, path: path.join(store.path, copy.file), format: state.format, virtualSizeBytes: state.virtualSizeBytes }
          : null,
    };
  }
}
