import { Inject, Injectable } from '@nestjs/common';
import { validateStorageCommand, type StorageCommand, type Topics } from '@strata/contracts';
import { assertUnreachable } from '@strata/kernel';
import { OutboxRelay, PgEventStore } from '@strata/event-store';
import type { MessageBus } from '@strata/messaging';
import { Clock, IdGenerator, MESSAGE_BUS, ServiceCommandIntake, TOPICS } from '@strata/service-kit';
import { AddStoragePoolHandler } from '../pools/application/add-storage-pool.handler';
import { CreateVolumeHandler } from '../volumes/application/create-volume.handler';
import { DeleteVolumeHandler } from '../volumes/application/delete-volume.handler';
import {
  DeleteStoragePoolHandler,
  DisableStoragePoolHandler,
  EnableStoragePoolHandler,
  RefreshPoolCapacityHandler,
  UpdateStoragePoolHandler,
} from '../pools/application/pool-lifecycle.handlers';
import { DeregisterHostHandler, RegisterHostHandler } from '../hosts/application/host.handlers';
import { ReconcilePoolHandler } from '../reconciliation/application/reconcile-pool.handler';
import { RemoveOrphanHandler } from '../reconciliation/application/remove-orphan.handler';
import { ManageVolumeHandler } from '../reconciliation/application/manage-volume.handler';
import {
  AttachVolumeHandler,
  ChangeVolumeQosHandler,
  DetachVolumeHandler,
  ResizeVolumeHandler,
} from '../volumes/application/volume-operations.handlers';
import { MigrateVolumeHandler } from '../volumes/application/migrate-volume.handler';
import { PoolMaintenance } from '../maintenance/application/pool-maintenance';
import { ExportVolumeHandler } from '../exports/application/export-volume.handler';
import { CONSUMER_GROUP } from '../storage.constants';

/** Kafka edge of the storage service: one consumer group on the storage command topic. */
@Injectable()
export class StorageCommandIntake extends ServiceCommandIntake<StorageCommand> {
  constructor(
    @Inject(MESSAGE_BUS) bus: MessageBus,
    @Inject(TOPICS) topics: Topics,
    store: PgEventStore,
    relay: OutboxRelay,
    clock: Clock,
    ids: IdGenerator,
    private readonly addPool: AddStoragePoolHandler,
    private readonly createVolume: CreateVolumeHandler,
    private readonly deleteVolume: DeleteVolumeHandler,
    private readonly updatePool: UpdateStoragePoolHandler,
    private readonly enablePool: EnableStoragePoolHandler,
    private readonly disablePool: DisableStoragePoolHandler,
    private readonly deletePool: DeleteStoragePoolHandler,
    private readonly refreshCapacity: RefreshPoolCapacityHandler,
    private readonly resizeVolume: ResizeVolumeHandler,
    private readonly attachVolume: AttachVolumeHandler,
    private readonly detachVolume: DetachVolumeHandler,
    private readonly changeQos: ChangeVolumeQosHandler,
    private readonly registerHost: RegisterHostHandler,
    private readonly deregisterHost: DeregisterHostHandler,
    private readonly reconcilePool: ReconcilePoolHandler,
    private readonly removeOrphan: RemoveOrphanHandler,
    private readonly manageVolume: ManageVolumeHandler,
    private readonly migrateVolume: MigrateVolumeHandler,
    private readonly maintenance: PoolMaintenance,
    private readonly exportVolume: ExportVolumeHandler,
  ) {
    super(
      { bus, store, relay, clock, ids },
      {
        consumerGroup: CONSUMER_GROUP,
        commandTopic: topics.storageCommands,
        eventsTopic: topics.storageEvents,
        deadLetterTopic: topics.deadLetter,
        validate: validateStorageCommand,
      },
    );
  }

  protected async dispatch(command: StorageCommand): Promise<void> {
    switch (command.type) {
      case 'AddStoragePool':
        return this.addPool.handle(command);
      case 'CreateVolume':
        return this.createVolume.handle(command);
      case 'DeleteVolume':
        return this.deleteVolume.handle(command);
      case 'UpdateStoragePool':
        await this.updatePool.handle(command);
        return;
      case 'EnableStoragePool':
        await this.enablePool.handle(command);
        return;
      case 'DisableStoragePool':
        await this.disablePool.handle(command);
        return;
      case 'DeleteStoragePool':
        await this.deletePool.handle(command);
        return;
      case 'RefreshPoolCapacity':
        await this.refreshCapacity.handle(command);
        return;
      case 'ResizeVolume':
        return this.resizeVolume.handle(command);
      case 'AttachVolume':
        return this.attachVolume.handle(command);
      case 'DetachVolume':
        return this.detachVolume.handle(command);
      case 'ChangeVolumeQos':
        return this.changeQos.handle(command);
      case 'RegisterHost':
        return this.registerHost.handle(command);
      case 'DeregisterHost':
        return this.deregisterHost.handle(command);
      case 'ReconcilePool':
        await this.reconcilePool.handle(command);
        return;
      case 'RemoveOrphan':
        return this.removeOrphan.handle(command);
      case 'ManageVolume':
        return this.manageVolume.handle(command);
      case 'MigrateVolume':
        return this.migrateVolume.handle(command);
      case 'EnterPoolMaintenance':
        return this.maintenance.enter(command);
      case 'CancelPoolMaintenance':
        return this.maintenance.cancel(command);
      case 'ExportVolume':
        return this.exportVolume.handle(command);
      default:
        return assertUnreachable(command);
    }
  }
}
