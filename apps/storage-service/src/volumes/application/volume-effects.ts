import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ErrorInfo, Topics } from '@strata/contracts';
import { isDomainError } from '@strata/kernel';
import { capable, supports, type PrimaryStorageDriver } from '@strata/plugin-sdk';
import { AggregateRunner, crashPoint, TOPICS, type CommandMeta } from '@strata/service-kit';
import { DriverRegistry, VolumeHolds } from '@strata/pool-access';
import { isTransient, toErrorInfo, withBackendRetry } from '@strata/pool-access';
import { PoolReader } from '../../pools/application/pool-reader';
import { HostReader } from '../../hosts/application/host.handlers';
import { dataMoverBackendHost, withDataMoverAccess } from '../../hosts/application/data-mover';
import type { PoolState } from '../../pools/domain/pool';
import { convertImageOnto, DiskImageError } from '../infrastructure/disk-image';
import { volumeDecider, volumeStreamId, type VolumeCommand, type VolumeFacts, type VolumeStatus } from '../domain/volume';
import { VolumeMigrations } from './volume-migrations';

/** 'started': handed to the background (migrations), which records the outcome itself. */
export type EffectOutcome = 'done' | 'nothing_to_do' | 'retry_later' | 'started';

type WorkingVolume = VolumeFacts & { readonly status: VolumeStatus };
type KnownPool = Exclude<PoolState, { status: 'absent' }>;

/** Filling a new volume from its image failed for good; the half-made object is removed before the failure is recorded. */
class ImageFillFailed extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

/**
 * The backend side of a volume operation, run after its intent is recorded: by the
 * command handler straight away, and by recovery for whatever a crash left behind. Both
 * the backend call (deterministic name, idempotent) and the outcome append are safe to
 * repeat, so running this twice for one volume has one effect.
 */
@Injectable()
export class VolumeEffects {
  private readonly log = new Logger(VolumeEffects.name);

  constructor(
    private readonly runner: AggregateRunner,
    private readonly drivers: DriverRegistry,
    private readonly pools: PoolReader,
    private readonly migrations: VolumeMigrations,
    private readonly holds: VolumeHolds,
    private readonly hosts: HostReader,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async complete(volumeId: string, meta: CommandMeta): Promise<EffectOutcome> {
    const { state } = await this.runner.load(volumeDecider, volumeStreamId(volumeId));
    if (state.status === 'absent') return 'nothing_to_do';
    const kind = state.inFlight?.kind;
    if (kind === 'migrate' || kind === 'source-cleanup') {
      return this.migrations.start(volumeId, meta) ? 'started' : 'nothing_to_do';
    }
    const operation = describe(state);
    if (!operation) return 'nothing_to_do';
    const pool = await this.pools.get(state.poolId);
    if (pool.status === 'absent') {
      // The intent was accepted against this pool, so its absence is corruption, not a user error.
      throw new Error(`volume ${volumeId} refers to pool ${state.poolId}, which has no events`);
    }
    let outcome: VolumeCommand;
    try {
      // Connecting is a backend call too (the first use after a start): a blip there is
      // retried in place, not left to the recovery sweep for every operation waiting on it.
      const driver = await withBackendRetry(() => this.drivers.forPool(pool));
      // Held while the backend changes it, so a VM snapshot or a revert never sees it half-changed.
      outcome = await this.holds.hold([volumeId], async () => {
        crashPoint(`volume.before-backend.${operation}`);
        const done = await this.perform(driver, state, pool);
        crashPoint(`volume.after-backend.${operation}`);
        return done;
      });
    } catch (error) {
      if (isTransient(error)) {
        this.log.warn(`volume ${volumeId}: ${operation} still failing (${toErrorInfo(error).message}); recovery retries it`);
        return 'retry_later';
      }
      const info = error instanceof ImageFillFailed ? error.info : toErrorInfo(error);
      this.log.error(`volume ${volumeId}: ${operation} failed: ${info.code}: ${info.message}`);
      outcome = failure(state, info);
    }
    try {
      await this.runner.execute(volumeDecider, volumeStreamId(volumeId), volumeId, () => outcome, meta, {
        outboxTopic: this.topics.storageEvents,
      });
    } catch (error) {
      // Another worker (recovery, or a second instance) recorded the outcome first.
      if (isDomainError(error) && error.code === 'volume.illegal_state') return 'nothing_to_do';
      throw error;
    }
    return 'done';
  }

  /** The backend call for the operation in flight, and the outcome it earns. */
  private async perform(driver: PrimaryStorageDriver, volume: WorkingVolume, pool: KnownPool): Promise<VolumeCommand> {
    const name = volume.backendName;
    if (volume.status === 'creating') {
      const source = volume.source ?? null;
      // From a snapshot: a backend clone, idempotent by name like createVolume, so recovery repeats it safely.
      const created = await withBackendRetry(() =>
        source
          ? capable(driver, 'clone').cloneFromSnapshot({
              sourceVolumeName: source.sourceVolumeBackendName,
              snapshotName: source.snapshotBackendName,
              name,
              sizeBytes: volume.sizeBytes,
            })
          : driver.createVolume({ name, sizeBytes: volume.sizeBytes, thin: volume.provisioning !== 'thick' }),
      );
      // QoS asked at creation is applied before the volume is called ready.
      if (volume.qos) await withBackendRetry(() => capable(driver, 'qos').setQos(name, volume.qos ?? {}));
      if (volume.image) await this.fillFromImage(driver, volume, volume.image, pool);
      return { type: 'RecordVolumeCreated', sizeBytes: created.sizeBytes, path: created.path ?? null };
    }
    if (volume.status === 'deleting') {
      // Revoke everywhere first: a backend may refuse to delete a mapped volume, and a host
      // must not keep a device whose volume is gone.
      for (const attachment of volume.attachments) {
        await withBackendRetry(() => driver.revokeAccess(name, attachment.backendHost));
      }
      // With its snapshots: the tree (the handler refused a tree holding other volumes' clones).
      await withBackendRetry(() => (volume.deleteTree ? driver.deleteVolumeTree(name) : driver.deleteVolume(name)));
      return { type: 'RecordVolumeDeleted' };
    }
    const inFlight = volume.inFlight;
    switch (inFlight?.kind) {
      case 'resize': {
        const resized = await withBackendRetry(() => driver.resizeVolume(name, inFlight.toBytes, { allowShrink: inFlight.allowShrink }));
        return { type: 'RecordVolumeResized', sizeBytes: resized.sizeBytes };
      }
      case 'attach': {
        const grant = await withBackendRetry(() => driver.grantAccess(name, inFlight.backendHost));
        return { type: 'RecordVolumeAttached', devicePath: grant.devicePath };
      }
      case 'detach':
        await withBackendRetry(() => driver.revokeAccess(name, inFlight.backendHost));
        return { type: 'RecordVolumeDetached' };
      case 'qos': {
        const limits = {
          iops: inFlight.qos.iops ?? null,
          bandwidthBytesPerSecond: inFlight.qos.bandwidthBytesPerSecond ?? null,
          tier: inFlight.qos.tier ?? null,
        };
        // Removing limits on a backend without QoS is a no-op; setting them was refused up front.
        if (supports(driver, 'qos')) await withBackendRetry(() => capable(driver, 'qos').setQos(name, limits));
        return { type: 'RecordVolumeQosChanged' };
      }
      default:
        throw new Error(`volume ${volume.volumeId} has no operation in flight`);
    }
  }

  /**
   * Writes the image onto the new volume through the data mover host: granted, converted
   * (qemu-img convert -n: the whole image again, so a repeat after a crash is the same
   * write), revoked on every path. Runs inside the command's handling, like the create:
   * a large image holds the Kafka partition meanwhile (a background run, as migrations
   * have, would free it). A permanent failure removes the object (best effort: drift
   * reports it otherwise) and becomes VolumeCreationFailed; a transient backend failure
   * leaves it all to recovery.
   */
  private async fillFromImage(driver: PrimaryStorageDriver, volume: WorkingVolume, image: NonNullable<WorkingVolume['image']>, pool: KnownPool): Promise<void> {
    let moverHost: string;
    try {
      moverHost = await dataMoverBackendHost(this.hosts, image.dataMoverHostId, pool);
    } catch (error) {
      await this.discard(driver, volume);
      throw new ImageFillFailed({ code: 'volume.data_mover_unavailable', category: 'illegal_state', message: (error as Error).message });
    }
    try {
      await withDataMoverAccess(driver, volume.backendName, moverHost, this.log, async (device) => {
        crashPoint('volume.before-image-convert');
        await convertImageOnto(image.path, image.format, device);
      });
    } catch (error) {
      if (isTransient(error)) throw error;
      await this.discard(driver, volume);
      if (error instanceof DiskImageError) {
        throw new ImageFillFailed({ code: 'volume.image_conversion_failed', category: 'backend.terminal', message: `writing ${image.path} onto the volume failed: ${error.message}` });
      }
      throw error;
    }
  }

  private async discard(driver: PrimaryStorageDriver, volume: WorkingVolume): Promise<void> {
    try {
      await withBackendRetry(() => driver.deleteVolume(volume.backendName));
    } catch (error) {
      this.log.warn(`volume ${volume.volumeId}: half-made ${volume.backendName} not removed: ${(error as Error).message}; drift will report it`);
    }
  }
}

/** The operation a volume is in the middle of, or undefined when it is at rest. */
function describe(volume: WorkingVolume): string | undefined {
  if (volume.status === 'creating') return 'create';
  if (volume.status === 'deleting') return 'delete';
  return volume.inFlight?.kind;
}

function failure(volume: WorkingVolume, error: ReturnType<typeof toErrorInfo>): VolumeCommand {
  if (volume.status === 'creating') return { type: 'RecordVolumeCreationFailed', error };
  if (volume.status === 'deleting') return { type: 'RecordVolumeDeletionFailed', error };
  switch (volume.inFlight?.kind) {
    case 'resize':
      return { type: 'RecordVolumeResizeFailed', error };
    case 'attach':
      return { type: 'RecordVolumeAttachFailed', error };
    case 'detach':
      return { type: 'RecordVolumeDetachFailed', error };
    case 'qos':
      return { type: 'RecordVolumeQosChangeFailed', error };
    default:
      throw new Error(`volume ${volume.volumeId} has no operation in flight`);
  }
}
