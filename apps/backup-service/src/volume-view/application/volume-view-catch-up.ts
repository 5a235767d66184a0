import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import type { MessageBus } from '@strata/messaging';
import { MESSAGE_BUS, TOPICS, ViewCatchUp } from '@strata/service-kit';
import { VOLUME_VIEW_CONSUMER } from '../volume-view.constants';

/**
 * Whether the volume view has read the storage and snapshot events up to a given moment: a
 * CreateBackup of a volume the view does not have yet waits for it (ViewCatchUp) rather than
 * being refused while the view still replays what was published during a restart.
 */
@Injectable()
export class VolumeViewCatchUp extends ViewCatchUp {
  constructor(@Inject(MESSAGE_BUS) bus: MessageBus, @Inject(TOPICS) topics: Topics) {
    const log = new Logger('VolumeView');
    super(bus, VOLUME_VIEW_CONSUMER, [topics.storageEvents, topics.snapshotEvents], (message) => log.warn(message));
  }
}
