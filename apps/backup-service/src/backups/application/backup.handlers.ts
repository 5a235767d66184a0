import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { CreateBackupData, DeleteBackupData, Envelope, ImportBackupData, VerifyBackupData } from '@strata/contracts';
import { commandMeta } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../backup.constants';
import { BackupEngine, ChunkStores } from '../../engine/ports';
import { BackupHost } from '../../infrastructure/backup-host';
import { BackupTargetReader } from '../../targets/targets.providers';
import { VolumeViewCatchUp } from '../../volume-view/application/volume-view-catch-up';
import { VolumeViewStore } from '../../volume-view/infrastructure/volume-view.store';
import { BackupErrors } from '../domain/backup.errors';
import { checkVerifiable } from '../domain/backup';
import { ProcessesStore } from '../infrastructure/processes.store';
import { BackupDecisions } from './backup-decisions';
import { BackupDeletion } from './backup-deletion';

/**
 * CreateBackup: the facts the decider needs (the view of the volume and snapshot, the
 * target, the chain's newest completed backup, the backup host), then one transaction that
 * records the request and sends its first step.
 */
@Injectable()
export class CreateBackupHandler {
  constructor(
    private readonly decisions: BackupDecisions,
    private readonly view: VolumeViewStore,
    private readonly targets: BackupTargetReader,
    private readonly processes: ProcessesStore,
    private readonly host: BackupHost,
    private readonly catchUp: VolumeViewCatchUp,
  ) {}

  async handle(command: Envelope<'CreateBackup', CreateBackupData>): Promise<void> {
    const { volumeId, targetId, snapshotId, full } = command.data;
    const backupId = command.aggregateId;
    // A volume (or snapshot) the view lacks may only not have reached it yet: waited for until
    // the view has read what was on the topics when the command came, then refused if absent.
    const [volume, snapshot] = await this.catchUp.settle(
      () => Promise.all([this.view.volume(volumeId), snapshotId ? this.view.snapshot(snapshotId) : Promise.resolve(null)]),
      ([v, s]) => v !== null && (!snapshotId || s !== null),
    );
    const [target, latest] = await Promise.all([
      this.targets.get(targetId),
      this.processes.latestCompleted(volumeId, targetId),
    ]);
    await this.decisions.execute(
      backupId,
      {
        type: 'CreateBackup',
        backupId,
        volumeId,
        targetId,
        ...(snapshotId !== undefined ? { snapshotId } : {}),
        ...(full !== undefined ? { full } : {}),
        volume,
        snapshot,
        targetExists: target.status === 'active',
        latestCompletedBackupId: latest,
        hostId: this.host.hostId,
      },
      commandMeta(command),
      { consumer: CONSUMER_GROUP, messageId: command.messageId },
    );
  }
}

/**
 * VerifyBackup: every chunk of the manifest read back and hashed. Run in the handler (the
 * command is redelivered if the process dies meanwhile, and nothing is recorded twice).
 */
@Injectable()
export class VerifyBackupHandler {
  constructor(
    private readonly decisions: BackupDecisions,
    private readonly engine: BackupEngine,
    private readonly stores: ChunkStores,
  ) {}

  async handle(command: Envelope<'VerifyBackup', VerifyBackupData>): Promise<void> {
    const backupId = command.aggregateId;
    const state = await this.decisions.load(backupId);
    checkVerifiable(state, backupId);
    if (state.status === 'absent') return;
    const result = await this.engine.verify(backupId, await this.stores.storeFor(state.targetId));
    await this.decisions.execute(
      backupId,
      { type: 'RecordVerification', ok: result.ok, chunksChecked: result.chunksChecked, badChunks: result.badChunks },
      commandMeta(command),
      { consumer: CONSUMER_GROUP, messageId: command.messageId },
    );
  }
}

/** DeleteBackup: recorded (with the inbox mark), then the manifest deleted and BackupDeleted; the recovery finishes it after a crash. */
@Injectable()
export class DeleteBackupHandler {
  constructor(
    private readonly decisions: BackupDecisions,
    private readonly deletion: BackupDeletion,
  ) {}

  async handle(command: Envelope<'DeleteBackup', DeleteBackupData>): Promise<void> {
    const backupId = command.aggregateId;
    const meta = commandMeta(command);
    const { events } = await this.decisions.execute(backupId, { type: 'DeleteBackup', backupId }, meta, { consumer: CONSUMER_GROUP, messageId: command.messageId });
    if (events.some((e) => e.type === 'BackupDeletionRequested')) await this.deletion.finish(backupId, meta);
  }
}

/**
 * ImportBackup: a backup another installation made on a target this one shares. The manifest
 * is read (its shape checked by the engine) and every chunk it lists read back and hashed
 * before BackupImported is recorded; from then on it is restored and deleted like a local one.
 */
@Injectable()
export class ImportBackupHandler {
  constructor(
    private readonly decisions: BackupDecisions,
    private readonly targets: BackupTargetReader,
    private readonly engine: BackupEngine,
    private readonly stores: ChunkStores,
  ) {}

  async handle(command: Envelope<'ImportBackup', ImportBackupData>): Promise<void> {
    const backupId = command.aggregateId;
    const { targetId } = command.data;
    // Refused before reading anything: a known backup, an unknown target.
    if ((await this.decisions.load(backupId)).status !== 'absent') throw BackupErrors.alreadyExists(backupId);
    const targetExists = (await this.targets.get(targetId)).status === 'active';
    let manifest = null;
    let manifestSha256 = '';
    let verification: { ok: boolean; badChunks: readonly string[] } = { ok: false, badChunks: [] };
    if (targetExists) {
      const store = await this.stores.storeFor(targetId);
      const body = await store.getManifest(backupId);
      if (body !== null) {
        manifest = await this.engine.readManifest(backupId, store);
        manifestSha256 = createHash('sha256').update(body).digest('hex');
        verification = await this.engine.verify(backupId, store);
      }
    }
    await this.decisions.execute(
      backupId,
      { type: 'ImportBackup', backupId, targetId, targetExists, manifest, manifestSha256, verification },
      commandMeta(command),
      { consumer: CONSUMER_GROUP, messageId: command.messageId },
    );
  }
}
