import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ErrorInfo, Topics } from '@strata/contracts';
import { isDomainError } from '@strata/kernel';
import { capable, supports, type PrimaryStorageDriver } from '@strata/plugin-sdk';
import { AggregateRunner, crashPoint, intervalSetting, TOPICS, type CommandMeta } from '@strata/service-kit';
import { DataSource } from 'typeorm';
import { DriverRegistry, volumeHoldKey } from '@strata/pool-access';
import { isTransient, toErrorInfo, withBackendRetry } from '@strata/pool-access';
import { PoolReader } from '../../pools/application/pool-reader';
import { copyBlocks } from '../infrastructure/block-copy';
import { volumeDecider, volumeStreamId, type InFlight, type VolumeCommand, type VolumeState } from '../domain/volume';

/** How often a native move's status is asked while the backend works. */
const POLL_MS = intervalSetting('STRATA_MIGRATION_POLL_MS', 2_000, 10);

export type MigrationOutcome = 'done' | 'nothing_to_do' | 'retry_later';

type PresentVolume = Exclude<VolumeState, { status: 'absent' }>;
type Moving = PresentVolume & { readonly inFlight: Extract<InFlight, { kind: 'migrate' }> };
type Cleaning = PresentVolume & { readonly inFlight: Extract<InFlight, { kind: 'source-cleanup' }> };

/** Stopped by shutdown: the work is left to recovery at the next start. */
class Interrupted extends Error {}

/**
 * The backend side of a migration, after its intent is recorded: the copy (or the native
 * move) with progress, the switch (VolumeMigrated), then the old copy's deletion. Runs in
 * the background, since a copy may take hours and must not hold a Kafka partition; one run
 * per volume at a time, in this process (a map) and across processes (an advisory lock).
 * Each step is safe to repeat: the destination is created by its recorded name (idempotent),
 * the copy makes the destination equal to the source whatever was there, grants and revokes
 * are idempotent, and every outcome is refused once recorded. So recovery simply runs it
 * again.
 */
@Injectable()
export class VolumeMigrations implements OnApplicationShutdown {
  private readonly log = new Logger(VolumeMigrations.name);
  private readonly running = new Map<string, Promise<MigrationOutcome>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly runner: AggregateRunner,
    private readonly drivers: DriverRegistry,
    private readonly pools: PoolReader,
    private readonly dataSource: DataSource,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  /** Runs the volume's migration to its end (or joins the run in progress). Never rejects. */
  run(volumeId: string, meta: CommandMeta): Promise<MigrationOutcome> {
    let current = this.running.get(volumeId);
    if (!current) {
      current = this.locked(volumeId, meta)
        .catch((error: unknown) => {
          this.log.error(`migration of volume ${volumeId} stopped: ${(error as Error).message}`);
          return 'retry_later' as const;
        })
        .finally(() => this.running.delete(volumeId));
      this.running.set(volumeId, current);
    }
    return current;
  }

  /** Starts it in the background; false when it is running already. */
  start(volumeId: string, meta: CommandMeta): boolean {
    if (this.running.has(volumeId)) return false;
    void this.run(volumeId, meta);
    return true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  private async locked(volumeId: string, meta: CommandMeta): Promise<MigrationOutcome> {
    const connection = this.dataSource.createQueryRunner();
    await connection.connect();
    // The volume's hold: a snapshot of it (or a VM snapshot holding it) and its migration never overlap.
    const key = volumeHoldKey(volumeId);
    try {
      const [{ locked }]: { locked: boolean }[] = await connection.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [key]);
      // Another process is moving it; its recovery finishes what it cannot.
      if (!locked) return 'nothing_to_do';
      try {
        return await this.work(volumeId, meta);
      } finally {
        await connection.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
      }
    } finally {
      await connection.release();
    }
  }

  private async work(volumeId: string, meta: CommandMeta): Promise<MigrationOutcome> {
    let outcome: MigrationOutcome = 'nothing_to_do';
    for (;;) {
      const { state } = await this.runner.load(volumeDecider, volumeStreamId(volumeId));
      if (state.status === 'absent') return outcome;
      const kind = state.inFlight?.kind;
      let step: MigrationOutcome;
      if (kind === 'migrate') step = await this.move(state as Moving, meta);
      else if (kind === 'source-cleanup') step = await this.cleanUp(state as Cleaning, meta);
      else return outcome;
      if (step !== 'done') return step;
      outcome = 'done';
    }
  }

  private async move(volume: Moving, meta: CommandMeta): Promise<MigrationOutcome> {
    const plan = volume.inFlight;
    let outcome: VolumeCommand;
    try {
      outcome = plan.mode === 'native' ? await this.moveNatively(volume, meta) : await this.copy(volume, meta);
    } catch (error) {
      if (error instanceof Interrupted || this.stopping.signal.aborted) return 'retry_later';
      if (isTransient(error)) {
        this.log.warn(`volume ${volume.volumeId}: migration still failing (${toErrorInfo(error).message}); recovery retries it`);
        return 'retry_later';
      }
      const info = toErrorInfo(error);
      this.log.error(`volume ${volume.volumeId}: migration to pool ${plan.toPoolId} failed: ${info.code}: ${info.message}`);
      if (plan.mode === 'copy') await this.discardCopy(volume);
      outcome = { type: 'RecordVolumeMigrationFailed', error: info };
    }
    return this.record(volume.volumeId, outcome, meta);
  }

  /** Copy: make the destination, map both to the data mover, copy, unmap. The switch is recorded by the caller. */
  private async copy(volume: Moving, meta: CommandMeta): Promise<VolumeCommand> {
    const plan = volume.inFlight;
    const mover = plan.dataMover;
    if (!mover) throw new Error(`volume ${volume.volumeId}: a copy migration without a data mover`);
    const [from, to] = await Promise.all([this.driverOf(volume.poolId), this.driverOf(plan.toPoolId)]);
    const name = plan.destinationBackendName;
    const created = await withBackendRetry(() => to.createVolume({ name, sizeBytes: plan.sizeBytes, thin: volume.provisioning !== 'thick' }));
    if (volume.qos && supports(to, 'qos')) await withBackendRetry(() => capable(to, 'qos').setQos(name, volume.qos ?? {}));
    crashPoint('volume.before-backend.migrate');
    const source = await withBackendRetry(() => from.grantAccess(volume.backendName, mover.sourceBackendHost));
    const destination = await withBackendRetry(() => to.grantAccess(name, mover.destinationBackendHost));
    try {
      await copyBlocks({
        source: source.devicePath,
        destination: destination.devicePath,
        sizeBytes: volume.sizeBytes,
        signal: this.stopping.signal,
        onProgress: async ({ copiedBytes, totalBytes }) => {
          await this.record(volume.volumeId, { type: 'RecordVolumeMigrationProgress', copiedBytes, totalBytes }, meta);
        },
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw new Interrupted('shutting down');
      throw error;
    } finally {
      // Unmapped on every path: the data mover must not keep devices of volumes it is not copying.
      await this.revoke(from, volume.backendName, mover.sourceBackendHost, volume.volumeId);
      await this.revoke(to, name, mover.destinationBackendHost, volume.volumeId);
    }
    crashPoint('volume.after-backend.migrate');
    return { type: 'RecordVolumeMigrated', sizeBytes: created.sizeBytes, path: created.path ?? null };
  }

  /** Native: the backend moves the whole tree (snapshots too) and keeps the mappings; we start it and watch. */
  private async moveNatively(volume: Moving, meta: CommandMeta): Promise<VolumeCommand> {
    const plan = volume.inFlight;
    const target = plan.nativeTarget;
    if (target === null) throw new Error(`volume ${volume.volumeId}: a native migration without a target`);
    const driver = capable(await this.driverOf(volume.poolId), 'nativeMigration');
    crashPoint('volume.before-backend.migrate');
    await withBackendRetry(() => driver.startTreeMigration(volume.backendName, target));
    for (;;) {
      const status = await withBackendRetry(() => driver.treeMigrationStatus(volume.backendName, target));
      if (status.state === 'done') break;
      if (status.state === 'failed') {
        const error: ErrorInfo = {
          code: 'volume.native_migration_failed',
          category: 'backend',
          message: status.message ?? `the backend could not move volume ${volume.volumeId} to ${target}`,
        };
        return { type: 'RecordVolumeMigrationFailed', error };
      }
      if (status.progressPercent !== undefined) {
        await this.record(volume.volumeId, { type: 'RecordVolumeMigrationProgress', copiedBytes: status.progressPercent, totalBytes: 100 }, meta);
      }
      try {
        await sleep(POLL_MS, undefined, { signal: this.stopping.signal });
      } catch {
        throw new Interrupted('shutting down');
      }
    }
    crashPoint('volume.after-backend.migrate');
    return { type: 'RecordVolumeMigrated', sizeBytes: volume.sizeBytes, path: volume.path };
  }

  /** After the switch: delete the old copy. A permanent failure leaves it for drift to report. */
  private async cleanUp(volume: Cleaning, meta: CommandMeta): Promise<MigrationOutcome> {
    const { poolId, backendName } = volume.inFlight;
    let outcome: VolumeCommand;
    try {
      const driver = await this.driverOf(poolId);
      crashPoint('volume.before-backend.migrate-cleanup');
      await withBackendRetry(() => driver.deleteVolume(backendName));
      outcome = { type: 'RecordMigrationSourceDeleted' };
    } catch (error) {
      if (isTransient(error)) return 'retry_later';
      const info = toErrorInfo(error);
      this.log.error(`volume ${volume.volumeId}: old copy ${backendName} on pool ${poolId} not deleted: ${info.message}; drift will report it`);
      outcome = { type: 'RecordMigrationSourceDeletionFailed', error: info };
    }
    return this.record(volume.volumeId, outcome, meta);
  }

  /** Best effort after a failed copy: the half-made destination goes; if it cannot, drift reports it as an orphan. */
  private async discardCopy(volume: Moving): Promise<void> {
    try {
      const to = await this.driverOf(volume.inFlight.toPoolId);
      await withBackendRetry(() => to.deleteVolume(volume.inFlight.destinationBackendName));
    } catch (error) {
      this.log.warn(`volume ${volume.volumeId}: failed copy ${volume.inFlight.destinationBackendName} not removed: ${(error as Error).message}`);
    }
  }

  private async revoke(driver: PrimaryStorageDriver, name: string, host: string, volumeId: string): Promise<void> {
    try {
      await withBackendRetry(() => driver.revokeAccess(name, host));
    } catch (error) {
      this.log.warn(`volume ${volumeId}: could not unmap ${name} from the data mover ${host}: ${(error as Error).message}`);
    }
  }

  private async driverOf(poolId: string): Promise<PrimaryStorageDriver> {
    const pool = await this.pools.get(poolId);
    if (pool.status === 'absent') throw new Error(`pool ${poolId} has no events`);
    return this.drivers.forPool(pool);
  }

  private async record(volumeId: string, command: VolumeCommand, meta: CommandMeta): Promise<MigrationOutcome> {
    try {
      const { events } = await this.runner.execute(volumeDecider, volumeStreamId(volumeId), volumeId, () => command, meta, {
        outboxTopic: this.topics.storageEvents,
      });
      return events.length > 0 || command.type === 'RecordVolumeMigrationProgress' ? 'done' : 'nothing_to_do';
    } catch (error) {
      // Recorded by another worker first.
      if (isDomainError(error) && error.code === 'volume.illegal_state') return 'nothing_to_do';
      throw error;
    }
  }
}
