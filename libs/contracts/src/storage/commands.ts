// class-validator's decorators and class-transformer read design-time metadata.
import 'reflect-metadata';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';

/** Hypervisors a pool can serve (the plugin SDK's list). */
export const HYPERVISOR_NAMES = ['kvm', 'vmware', 'xenserver', 'hyperv', 'lxc'] as const;

/** Largest size we accept: 1 PiB, well inside a JSON number's exact integers. */
export const MAX_VOLUME_BYTES = 2 ** 50;
const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Applies several property decorators as one (class-validator has no composition helper). */
function all(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

/** The name of a pool, volume or host: 1-128 characters, letters, digits, ".", "_" and "-". */
export function IsResourceName(): PropertyDecorator {
  return all(
    IsString(),
    IsNotEmpty(),
    MaxLength(128),
    Matches(NAME_RULE, { message: 'name must start with a letter or digit and use only letters, digits, ".", "_" and "-"' }),
  );
}

/** Decimal places of a number, also when JavaScript writes it with an exponent (1.5e-7 has 8). */
function decimalPlaces(value: number): number {
  const [mantissa, exponent = '0'] = value.toString().split('e');
  return Math.max(0, (mantissa.split('.')[1]?.length ?? 0) - Number(exponent));
}

/**
 * A finite number with at most `places` decimals. Not class-validator's IsNumber({ maxDecimalPlaces }),
 * which throws on numbers it prints with an exponent (1e-7); same rule name and message.
 */
function IsDecimal(places: number): PropertyDecorator {
  return ValidateBy({
    name: 'isNumber',
    validator: {
      validate: (value: unknown) => typeof value === 'number' && Number.isFinite(value) && decimalPlaces(value) <= places,
      defaultMessage: (args) => `${args?.property ?? 'value'} must be a number conforming to the specified constraints`,
    },
  });
}

/** Up to 32 tags of up to 64 characters each. */
function IsTagList(): PropertyDecorator {
  return all(IsArray(), ArrayMaxSize(32), IsString({ each: true }), MaxLength(64, { each: true }));
}

/** A pool's own placement settings, shared by AddStoragePool and UpdateStoragePool. */
export class PoolSettingsData {
  /** Hypervisors whose hosts may use the pool; the plugin's manifest says which it supports. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsIn(HYPERVISOR_NAMES, { each: true, message: `hypervisors must each be one of: ${HYPERVISOR_NAMES.join(', ')}` })
  hypervisors?: string[];

  /** The IOPS the pool can deliver, for placement by QoS; absent when unknown. */
  @IsOptional()
  @IsInt()
  @Min(1)
  capacityIops?: number;

  /** Allocation may reach capacity times this factor (thin provisioning); 1 = none. */
  @IsOptional()
  @IsDecimal(2)
  @Min(1)
  @Max(100)
  overProvisioningFactor?: number;

  /** No new volume is placed once allocation would pass this fraction of (over-provisioned) capacity; CloudStack's default is 0.85. */
  @IsOptional()
  @IsDecimal(4)
  @Min(0.01)
  @Max(1)
  allocationDisableThreshold?: number;
}

/**
 * A pool's backend settings come either as `config` (an object the plugin's own schema
 * checks in the storage service) or as `url` (the seeds' pool URL formats, e.g.
 * powerflex://user:pass@gateway/pool), never both. Credentials in either are kept out of
 * every event, log and API answer.
 */
export class AddStoragePoolData extends PoolSettingsData {
  @IsResourceName()
  name!: string;

  /** A registered plugin's name (file, powerflex, linstor, storpool); the storage service checks it exists. */
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,31}$/, { message: 'plugin must be a plugin name such as file, powerflex, linstor or storpool' })
  plugin!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  zoneId!: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  clusterId?: string;

  @IsOptional()
  @IsTagList()
  tags?: string[];



  @ValidateIf((o: AddStoragePoolData) => o.url === undefined)
  @IsObject({ message: 'config must be an object of the plugin settings (or give url instead)' })
  config?: Record<string, unknown>;

  @ValidateIf((o: AddStoragePoolData) => o.config === undefined || o.url !== undefined)
  @IsString({ message: 'url must be the pool URL (or give config instead)' })
  @MaxLength(2048)
  @ValidateBy({
    name: 'configOrUrl',
    validator: {
      validate: (_: unknown, args) => (args?.object as AddStoragePoolData).config === undefined,
      defaultMessage: () => 'give either config or url, not both',
    },
  })
  url?: string;
}

/** QoS limits of a volume; null removes a limit. A tier is a name the backend enforces (StorPool qc). */
export class VolumeQosData {
  @IsOptional()
  @IsInt()
  @Min(1)
  iops?: number | null;

  @IsOptional()
  @IsInt()
  @Min(1)
  bandwidthBytesPerSecond?: number | null;

  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'tier must be 1-64 letters, digits, "_", ".", ":" or "-"' })
  tier?: string | null;
}

export const ALLOCATION_POLICIES = ['first-fit', 'most-free'] as const;
export type AllocationPolicy = (typeof ALLOCATION_POLICIES)[number];

/**
 * A DATA volume, or an empty ROOT volume (for an ISO install). Either on a named pool
 * (poolId), or placed by allocation: zoneId (required then), clusterId, the pool tags it
 * needs, the hypervisor that will use it, and a policy.
 */
/** The snapshot a new volume is made from: its id and the volume it was taken of. */
export class VolumeSourceData {
  @IsUUID('all')
  snapshotId!: string;

  @IsUUID('all')
  volumeId!: string;
}

/**
 * A disk image whose content a new volume is to hold: the storage service makes the volume,
 * maps it to the data mover host and writes the image into it as RAW (qemu-img convert). The
 * path must be readable on the data mover's host (an image store's file, local or NFS).
 */
export class VolumeImageData {
  @IsString()
  @MaxLength(2048)
  @Matches(/^\/[^\0]*$/, { message: 'path must be an absolute file path' })
  path!: string;

  @IsIn(['qcow2', 'raw'], { message: 'format must be qcow2 or raw' })
  format!: 'qcow2' | 'raw';

  /** The registered host that reads or writes the volume's device; defaults to STRATA_DATA_MOVER_HOST_ID. */
  @IsOptional()
  @IsUUID('4')
  dataMoverHostId?: string;
}

export class CreateVolumeData {
  @IsResourceName()
  name!: string;

  // Required unless zoneId (allocation) or fromSnapshot (the snapshot's pool) says where.
  @ValidateIf((o: CreateVolumeData) => o.poolId !== undefined || (o.zoneId === undefined && o.fromSnapshot === undefined))
  @IsUUID('4', { message: 'poolId must be a UUID (or give zoneId to let allocation pick a pool)' })
  poolId?: string;

  @IsInt()
  @Min(1)
  @Max(MAX_VOLUME_BYTES)
  sizeBytes!: number;

  @IsOptional()
  @IsIn(['DATA', 'ROOT'], { message: 'volumeType must be DATA or ROOT (an empty ROOT for an ISO install)' })
  volumeType?: 'DATA' | 'ROOT';

  @IsOptional()
  @IsIn(['thin', 'thick'])
  provisioning?: 'thin' | 'thick';

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => VolumeQosData)
  qos?: VolumeQosData;

  @ValidateIf((o: CreateVolumeData) => o.zoneId !== undefined || (o.poolId === undefined && o.fromSnapshot === undefined))
  @IsString({ message: 'zoneId must be the zone to allocate in (or give poolId)' })
  @MaxLength(128)
  zoneId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  clusterId?: string;

  /** Tags every candidate pool must carry. */
  @IsOptional()
  @IsTagList()
  poolTags?: string[];

  @IsOptional()
  @IsIn(HYPERVISOR_NAMES)
  hypervisor?: string;

  @IsOptional()
  @IsIn(ALLOCATION_POLICIES)
  allocationPolicy?: AllocationPolicy;

  /**
   * Make the volume from a snapshot: a backend clone on the snapshot's own pool (poolId, if
   * given, must be that pool; zone and tags are not asked). sizeBytes may be larger than the
   * snapshot, never smaller.
   */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => VolumeSourceData)
  fromSnapshot?: VolumeSourceData;

  /** Fill the new volume with a disk image (how the image service makes a template's cached base); not with fromSnapshot or deferCreation. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => VolumeImageData)
  @ValidateBy({
    name: 'imageOrSnapshot',
    validator: {
      validate: (_: unknown, args) => (args?.object as CreateVolumeData).fromSnapshot === undefined && (args?.object as CreateVolumeData).deferCreation !== true,
      defaultMessage: () => 'fromImage cannot be set with fromSnapshot or deferCreation',
    },
  })
  fromImage?: VolumeImageData;

  /**
   * Place the volume and reserve its space now, but make it on the backend only when it is
   * first attached (status allocated until then), as CloudStack does for new data volumes.
   */
  @IsOptional()
  @IsBoolean()
  deferCreation?: boolean;
}

/**
 * Delete a volume (every host's access is revoked first). A volume with snapshots on its
 * backend is refused with their list, unless deleteSnapshots says to delete them too.
 */
export class DeleteVolumeData {
  @IsOptional()
  @IsBoolean()
  deleteSnapshots?: boolean;
}

/** Grow (or, only with allowShrink and where the backend allows it, shrink) a volume. */
export class ResizeVolumeData {
  @IsInt()
  @Min(1)
  @Max(MAX_VOLUME_BYTES)
  sizeBytes!: number;

  @IsOptional()
  @IsBoolean()
  allowShrink?: boolean;
}

/** Grant (attach) or revoke (detach) a registered host's access to a volume. */
export class VolumeHostData {
  @IsUUID('4')
  hostId!: string;
}

export class ChangeVolumeQosData extends VolumeQosData {}

/** A hypervisor host with its identity on each backend (nothing is needed for file pools). */
export class HostIdentitiesData {
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_-]{1,47}$/, { message: 'linstorNode must be a LINSTOR node name' })
  linstorNode?: string;

  /** The SDC id (16 hex digits) or its IP address. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  powerflexSdc?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  storpoolClientId?: number;
}

export class RegisterHostData {
  @IsResourceName()
  name!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  zoneId!: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  clusterId?: string;

  @IsIn(HYPERVISOR_NAMES)
  hypervisor!: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => HostIdentitiesData)
  identities?: HostIdentitiesData;
}

export class DeregisterHostData {}

/** Compare a pool's backend inventory with the log now, rather than at the next round. */
export class ReconcilePoolData {}

/** Adopt an object found on the backend that no volume owns, as a new volume (manage). */
export class ManageVolumeData {
  @IsUUID('4')
  poolId!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  backendName!: string;

  @IsResourceName()
  name!: string;
}

/** Delete an object found on the backend that no volume owns; nothing is removed without this. */
export class RemoveOrphanData {
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  backendName!: string;
}

/** Changes to a pool's own settings; absent fields stay as they are. Backend settings are not changed here. */
export class UpdateStoragePoolData extends PoolSettingsData {
  @IsOptional()
  @IsResourceName()
  name?: string;

  @IsOptional()
  @IsTagList()
  tags?: string[];

}

/**
 * Move a volume to another pool: natively inside one backend cluster where the plugin
 * declares it (PowerFlex VTree migration, StorPool template change), else by block copy
 * through a data-mover host. Without destinationPoolId, allocation picks a pool of the
 * volume's zone other than its own.
 */
export class MigrateVolumeData {
  @IsOptional()
  @IsUUID('4')
  destinationPoolId?: string;

  @IsOptional()
  @IsIn(ALLOCATION_POLICIES)
  allocationPolicy?: AllocationPolicy;

  /** The registered host the storage service copies through; defaults to STRATA_DATA_MOVER_HOST_ID. */
  @IsOptional()
  @IsUUID('4')
  dataMoverHostId?: string;
}

/** Move every volume off the pool (one migration at a time), then hold it in maintenance; refused with the reason per volume when any cannot move. */
export class EnterPoolMaintenanceData {
  /** The registered host block copies go through; defaults to STRATA_DATA_MOVER_HOST_ID. */
  @IsOptional()
  @IsUUID('4')
  dataMoverHostId?: string;
}

/** Leave maintenance: the pool returns to the status it had before (migrations already done stay done). */
export class CancelPoolMaintenanceData {}

/**
 * Write a detached volume's content to a file as a disk image (the command's aggregate is the
 * export's own id): the storage service maps the volume to the data mover host and runs
 * qemu-img convert into the path, which must be writable on that host (an image store). How
 * the image service makes a template from a volume or a snapshot.
 */
export class ExportVolumeData extends VolumeImageData {
  @IsUUID('all')
  volumeId!: string;
}

export class EnableStoragePoolData {}

export class DisableStoragePoolData {
  /** Why, for the operators who see the pool disabled. */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  reason?: string;
}

export class DeleteStoragePoolData {}

export class RefreshPoolCapacityData {}

export interface StorageCommandDataMap {
  AddStoragePool: AddStoragePoolData;
  CreateVolume: CreateVolumeData;
  DeleteVolume: DeleteVolumeData;
  UpdateStoragePool: UpdateStoragePoolData;
  EnableStoragePool: EnableStoragePoolData;
  DisableStoragePool: DisableStoragePoolData;
  DeleteStoragePool: DeleteStoragePoolData;
  RefreshPoolCapacity: RefreshPoolCapacityData;
  ResizeVolume: ResizeVolumeData;
  AttachVolume: VolumeHostData;
  DetachVolume: VolumeHostData;
  ChangeVolumeQos: ChangeVolumeQosData;
  RegisterHost: RegisterHostData;
  DeregisterHost: DeregisterHostData;
  ReconcilePool: ReconcilePoolData;
  ManageVolume: ManageVolumeData;
  RemoveOrphan: RemoveOrphanData;
  MigrateVolume: MigrateVolumeData;
  EnterPoolMaintenance: EnterPoolMaintenanceData;
  CancelPoolMaintenance: CancelPoolMaintenanceData;
  /** Aggregate: the export. */
  ExportVolume: ExportVolumeData;
}
export type StorageCommandType = keyof StorageCommandDataMap;

/** Data schema of each command type, used to validate at the edges (REST and Kafka). */
export const storageCommandSchemas: { readonly [K in StorageCommandType]: new () => StorageCommandDataMap[K] } = {
  AddStoragePool: AddStoragePoolData,
  CreateVolume: CreateVolumeData,
  DeleteVolume: DeleteVolumeData,
  UpdateStoragePool: UpdateStoragePoolData,
  EnableStoragePool: EnableStoragePoolData,
  DisableStoragePool: DisableStoragePoolData,
  DeleteStoragePool: DeleteStoragePoolData,
  RefreshPoolCapacity: RefreshPoolCapacityData,
  ResizeVolume: ResizeVolumeData,
  AttachVolume: VolumeHostData,
  DetachVolume: VolumeHostData,
  ChangeVolumeQos: ChangeVolumeQosData,
  RegisterHost: RegisterHostData,
  DeregisterHost: DeregisterHostData,
  ReconcilePool: ReconcilePoolData,
  ManageVolume: ManageVolumeData,
  RemoveOrphan: RemoveOrphanData,
  MigrateVolume: MigrateVolumeData,
  EnterPoolMaintenance: EnterPoolMaintenanceData,
  CancelPoolMaintenance: CancelPoolMaintenanceData,
  ExportVolume: ExportVolumeData,
};
