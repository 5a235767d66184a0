import { Inject, Injectable } from '@nestjs/common';
import { validateImageCommand, type ImageCommand, type Topics } from '@strata/contracts';
import { assertUnreachable } from '@strata/kernel';
import { OutboxRelay, PgEventStore } from '@strata/event-store';
import type { MessageBus } from '@strata/messaging';
import { Clock, IdGenerator, MESSAGE_BUS, ServiceCommandIntake, TOPICS } from '@strata/service-kit';
import { SpoolTemplateHandler } from '../bases/bases.providers';
import { AddImageStoreHandler, RemoveImageStoreHandler } from '../image-stores/application/image-store.handlers';
import { CONSUMER_GROUP } from '../image.constants';
import { CreateTemplateFromVolumeHandler } from '../template-exports/template-exports.providers';
import { CopyTemplateHandler, DeleteTemplateHandler, RegisterTemplateHandler, UpdateTemplateHandler } from '../templates/application/template.handlers';

/**
 * Kafka edge of the image service: one consumer group on the image command topic.
 * Unreadable bytes go to the dead-letter topic; invalid or refused commands are answered
 * with CommandRejected on the image events topic.
 */
@Injectable()
export class ImageCommandIntake extends ServiceCommandIntake<ImageCommand> {
  constructor(
    @Inject(MESSAGE_BUS) bus: MessageBus,
    @Inject(TOPICS) topics: Topics,
    store: PgEventStore,
    relay: OutboxRelay,
    clock: Clock,
    ids: IdGenerator,
    private readonly addImageStore: AddImageStoreHandler,
    private readonly removeImageStore: RemoveImageStoreHandler,
    private readonly registerTemplate: RegisterTemplateHandler,
    private readonly updateTemplate: UpdateTemplateHandler,
    private readonly deleteTemplate: DeleteTemplateHandler,
    private readonly copyTemplate: CopyTemplateHandler,
    private readonly spoolTemplate: SpoolTemplateHandler,
    private readonly createFromVolume: CreateTemplateFromVolumeHandler,
  ) {
    super(
      { bus, store, relay, clock, ids },
      {
        consumerGroup: CONSUMER_GROUP,
        commandTopic: topics.imageCommands,
        eventsTopic: topics.imageEvents,
        deadLetterTopic: topics.deadLetter,
        validate: validateImageCommand,
      },
    );
  }

  protected async dispatch(command: ImageCommand): Promise<void> {
    switch (command.type) {
      case 'AddImageStore':
        return this.addImageStore.handle(command);
      case 'RemoveImageStore':
        return this.removeImageStore.handle(command);
      case 'RegisterTemplate':
        return this.registerTemplate.handle(command);
      case 'UpdateTemplate':
        return this.updateTemplate.handle(command);
      case 'DeleteTemplate':
        return this.deleteTemplate.handle(command);
      case 'CopyTemplate':
        return this.copyTemplate.handle(command);
      case 'SpoolTemplate':
        return this.spoolTemplate.handle(command);
      case 'CreateTemplateFromVolume':
        return this.createFromVolume.handle(command);
      default:
        return assertUnreachable(command);
    }
  }
}
