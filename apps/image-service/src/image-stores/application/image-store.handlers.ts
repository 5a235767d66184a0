import { Inject, Injectable } from '@nestjs/common';
import type { AddImageStoreData, Envelope, RemoveImageStoreData, Topics } from '@strata/contracts';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../image.constants';
import { TemplateCatalog } from '../../templates/application/template-catalog';
import { imageStoreDecider, imageStoreStreamId, type ImageStoreCommand } from '../domain/image-store';
import { probeStorePath } from '../infrastructure/store-path-probe';

/** Records an image store command's events with the command's inbox mark. */
@Injectable()
export class ImageStoreCommandRunner {
  constructor(
    private readonly runner: AggregateRunner,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async run(command: Envelope, decide: () => ImageStoreCommand): Promise<void> {
    await this.runner.execute(imageStoreDecider, imageStoreStreamId(command.aggregateId), command.aggregateId, decide, commandMeta(command), {
      outboxTopic: this.topics.imageEvents,
      inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
    });
  }
}

/** AddImageStore: the directory is checked (exists, writable) and measured before anything is recorded. */
@Injectable()
export class AddImageStoreHandler {
  constructor(private readonly stores: ImageStoreCommandRunner) {}

  async handle(command: Envelope<'AddImageStore', AddImageStoreData>): Promise<void> {
    const { name, zoneId, path } = command.data;
    const probe = await probeStorePath(path);
    await this.stores.run(command, () => ({ type: 'AddImageStore', imageStoreId: command.aggregateId, name, zoneId, path, probe }));
  }
}

/** RemoveImageStore: refused while a template keeps a file there (read from the template streams). */
@Injectable()
export class RemoveImageStoreHandler {
  constructor(
    private readonly stores: ImageStoreCommandRunner,
    private readonly templates: TemplateCatalog,
  ) {}

  async handle(command: Envelope<'RemoveImageStore', RemoveImageStoreData>): Promise<void> {
    const templateIds = await this.templates.holdingFilesOn(command.aggregateId);
    await this.stores.run(command, () => ({ type: 'RemoveImageStore', imageStoreId: command.aggregateId, templateIds }));
  }
}
