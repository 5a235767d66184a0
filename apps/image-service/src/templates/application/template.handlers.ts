import { Injectable } from '@nestjs/common';
import type { CopyTemplateData, DeleteTemplateData, Envelope, RegisterTemplateData, UpdateTemplateData } from '@strata/contracts';
import { ImageStoreCatalog } from '../../image-stores/application/image-store-catalog';
import { TemplateCommandRunner } from './template-command-runner';
import { TemplateEffects } from './template-effects';

/**
 * RegisterTemplate: the zone's image store, then the intent; a download starts in the
 * background, an upload waits for its PUT (TemplateUploads).
 */
@Injectable()
export class RegisterTemplateHandler {
  constructor(
    private readonly templates: TemplateCommandRunner,
    private readonly stores: ImageStoreCatalog,
    private readonly effects: TemplateEffects,
  ) {}

  async handle(command: Envelope<'RegisterTemplate', RegisterTemplateData>): Promise<void> {
    const d = command.data;
    const store = await this.stores.forZone(d.zoneId);
    await this.templates.run(command, () => ({
      type: 'RegisterTemplate',
      templateId: command.aggregateId,
      name: d.name,
      kind: d.kind,
      format: d.format,
      zoneId: d.zoneId,
      url: d.url,
      upload: d.upload,
      checksum: d.checksum,
      osType: d.osType,
      description: d.description,
      public: d.public,
      imageStoreId: store?.imageStoreId ?? null,
    }));
    await this.effects.start(command.aggregateId);
  }
}

/** UpdateTemplate: only what changes is recorded; nothing changed, nothing recorded (the command is still marked handled). */
@Injectable()
export class UpdateTemplateHandler {
  constructor(private readonly templates: TemplateCommandRunner) {}

  async handle(command: Envelope<'UpdateTemplate', UpdateTemplateData>): Promise<void> {
    const { name, osType, description } = command.data;
    const changes = { name, osType, description, public: command.data.public };
    await this.templates.run(command, () => ({ type: 'UpdateTemplate', templateId: command.aggregateId, changes }));
  }
}

/** CopyTemplate: to the image store of another zone, from the existing copy, in the background. */
@Injectable()
export class CopyTemplateHandler {
  constructor(
    private readonly templates: TemplateCommandRunner,
    private readonly stores: ImageStoreCatalog,
    private readonly effects: TemplateEffects,
  ) {}

  async handle(command: Envelope<'CopyTemplate', CopyTemplateData>): Promise<void> {
    const store = await this.stores.forZone(command.data.zoneId);
    await this.templates.run(command, () => ({
      type: 'CopyTemplate',
      templateId: command.aggregateId,
      zoneId: command.data.zoneId,
      imageStoreId: store?.imageStoreId ?? null,
    }));
    await this.effects.start(command.aggregateId);
  }
}

/** DeleteTemplate: the intent, then a download or copy under way is stopped, then every file goes (in the background). */
@Injectable()
export class DeleteTemplateHandler {
  constructor(
    private readonly templates: TemplateCommandRunner,
    private readonly effects: TemplateEffects,
  ) {}

  async handle(command: Envelope<'DeleteTemplate', DeleteTemplateData>): Promise<void> {
    await this.templates.run(command, () => ({ type: 'DeleteTemplate', templateId: command.aggregateId }));
    await this.effects.interrupt(command.aggregateId);
    await this.effects.start(command.aggregateId);
  }
}
