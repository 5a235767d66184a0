import { Inject, Injectable } from '@nestjs/common';
import type { Envelope, ExportVolumeData, Topics } from '@strata/contracts';
import { AggregateRunner, commandMeta, TOPICS } from '@strata/service-kit';
import { PoolReader } from '../../pools/application/pool-reader';
import { HostReader } from '../../hosts/application/host.handlers';
import { dataMoverHostIdOf, requireDataMover } from '../../hosts/application/data-mover';
import { CONSUMER_GROUP } from '../../storage.constants';
import { volumeDecider, volumeStreamId } from '../../volumes/domain/volume';
import { checkExportable, exportStreamId, volumeExportDecider } from '../domain/volume-export';
import { VolumeExportEffects } from './volume-export-effects';

/**
 * ExportVolume: the volume must be ready, detached and idle (checked first, so a refusal
 * names the volume before the data mover); the data mover is judged against its pool; the
 * intent is recorded with the inbox mark, then the file is written (in the handling, as a
 * volume from an image is filled: a large volume holds the partition meanwhile).
 */
@Injectable()
export class ExportVolumeHandler {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly pools: PoolReader,
    private readonly hosts: HostReader,
    private readonly effects: VolumeExportEffects,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async handle(command: Envelope<'ExportVolume', ExportVolumeData>): Promise<void> {
    const exportId = command.aggregateId;
    const { data } = command;
    const meta = commandMeta(command);
    const volume = (await this.runner.load(volumeDecider, volumeStreamId(data.volumeId))).state;
    const exportable = checkExportable(data.volumeId, volume);
    const dataMoverHostId = await requireDataMover(this.hosts, this.pools, dataMoverHostIdOf(data.dataMoverHostId), exportable.poolId, 'data.dataMoverHostId');
    await this.runner.execute(
      volumeExportDecider,
      exportStreamId(exportId),
      exportId,
      () => ({ type: 'ExportVolume' as const, exportId, volumeId: data.volumeId, path: data.path, format: data.format, volume, dataMoverHostId }),
      meta,
      { outboxTopic: this.topics.storageEvents, inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId } },
    );
    await this.effects.complete(exportId, meta);
  }
}
