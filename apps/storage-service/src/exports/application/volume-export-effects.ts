import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ErrorInfo, Topics } from '@strata/contracts';
import { isDomainError } from '@strata/kernel';
import { AggregateRunner, crashPoint, TOPICS, type CommandMeta, type RecoveryOutcome } from '@strata/service-kit';
import { DriverRegistry, isTransient, toErrorInfo, VolumeHolds } from '@strata/pool-access';
import { PoolReader } from '../../pools/application/pool-reader';
import { HostReader } from '../../hosts/application/host.handlers';
import { dataMoverBackendHost, withDataMoverAccess } from '../../hosts/application/data-mover';
import { volumeDecider, volumeStreamId } from '../../volumes/domain/volume';
import { convertDeviceToImage, DiskImageError } from '../../volumes/infrastructure/disk-image';
import { exportStreamId, volumeExportDecider, type VolumeExportCommand } from '../domain/volume-export';

/**
 * The backend side of an export, after its intent is recorded: hold the volume (no attach,
 * resize, delete or snapshot revert runs on it meanwhile), map it to the data mover, convert
 * its device into the file (a partial file renamed when whole), unmap it, record the
 * outcome. Safe to repeat: recovery simply runs it again and the file is written anew.
 */
@Injectable()
export class VolumeExportEffects {
  private readonly log = new Logger(VolumeExportEffects.name);

  constructor(
    private readonly runner: AggregateRunner,
    private readonly drivers: DriverRegistry,
    private readonly pools: PoolReader,
    private readonly hosts: HostReader,
    private readonly holds: VolumeHolds,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async complete(exportId: string, meta: CommandMeta): Promise<RecoveryOutcome> {
    const { state } = await this.runner.load(volumeExportDecider, exportStreamId(exportId));
    if (state.status !== 'exporting') return 'nothing_to_do';
    let outcome: VolumeExportCommand;
    try {
      outcome = await this.holds.hold([state.volumeId], async () => {
        // Read again under the hold: the volume may have been deleted while the export waited for it.
        const { state: volume } = await this.runner.load(volumeDecider, volumeStreamId(state.volumeId));
        if (volume.status !== 'ready' && volume.status !== 'attached') {
          return failed({ code: 'volume.not_found', category: 'not_found', message: `volume ${state.volumeId} is ${volume.status}: nothing to export` });
        }
        const pool = await this.pools.get(volume.poolId);
        if (pool.status === 'absent') throw new Error(`volume ${state.volumeId} refers to pool ${volume.poolId}, which has no events`);
        const driver = await this.drivers.forPool(pool);
        let mover: string;
        try {
          mover = await dataMoverBackendHost(this.hosts, state.dataMoverHostId, pool);
        } catch (error) {
          return failed({ code: 'volume.data_mover_unavailable', category: 'illegal_state', message: (error as Error).message });
        }
        return withDataMoverAccess(driver, volume.backendName, mover, this.log, async (device) => {
          crashPoint('export.before-convert');
          const fileSizeBytes = await convertDeviceToImage(device, state.path, state.format);
          crashPoint('export.after-convert');
          return { type: 'RecordVolumeExported', fileSizeBytes } as const;
        });
      });
    } catch (error) {
      if (isTransient(error)) {
        this.log.warn(`export ${exportId}: still failing (${toErrorInfo(error).message}); recovery retries it`);
        return 'retry_later';
      }
      const info: ErrorInfo =
        error instanceof DiskImageError
          ? { code: 'volume.export_failed', category: 'backend.terminal', message: `writing volume ${state.volumeId} to ${state.path} failed: ${error.message}` }
          : toErrorInfo(error);
      outcome = failed(info);
    }
    if (outcome.type === 'RecordVolumeExportFailed') this.log.error(`export ${exportId} of volume ${state.volumeId} failed: ${outcome.error.code}: ${outcome.error.message}`);
    try {
      await this.runner.execute(volumeExportDecider, exportStreamId(exportId), exportId, () => outcome, meta, { outboxTopic: this.topics.storageEvents });
    } catch (error) {
      // Another worker (recovery, or a second instance) recorded the outcome first.
      if (isDomainError(error) && error.code === 'volume_export.illegal_state') return 'nothing_to_do';
      throw error;
    }
    return 'done';
  }
}

const failed = (error: ErrorInfo): VolumeExportCommand => ({ type: 'RecordVolumeExportFailed', error });
