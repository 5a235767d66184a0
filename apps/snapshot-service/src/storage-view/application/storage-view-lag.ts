import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import type { MessageBus } from '@strata/messaging';
import { MESSAGE_BUS, TOPICS, ViewCatchUp, type TopicMark } from '@strata/service-kit';
import { STORAGE_VIEW_CONSUMER } from '../../snapshot.constants';

/** The storage events topic's end offsets at one moment. */
export type ViewMark = TopicMark;

/**
 * Whether the storage view has read the storage events topic up to a given moment: asked by a
 * handler that does not find a volume in the view before it refuses (ViewCatchUp).
 */
@Injectable()
export class StorageViewLag extends ViewCatchUp {
  constructor(@Inject(MESSAGE_BUS) bus: MessageBus, @Inject(TOPICS) topics: Topics) {
    const log = new Logger('StorageView');
    super(bus, STORAGE_VIEW_CONSUMER, [topics.storageEvents], (message) => log.warn(message));
  }
}
