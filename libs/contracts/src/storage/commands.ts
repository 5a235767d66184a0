// class-validator's decorators and class-transformer read design-time metadata.
import 'reflect-metadata';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
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
} from 'class-validator';

/** Hypervisors a pool can serve (the plugin SDK's list). */
export const HYPERVISOR_NAMES = ['kvm', 'vmware', 'xenserver', 'hyperv', 'lxc'] as const;

/** Largest size we accept: 1 PiB, well inside a JSON number's exact integers. */
export const MAX_VOLUME_BYTES = 2 ** 50;
const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A pool's backend settings come either as `config` (an object the plugin's own schema
 * checks in the storage service) or as `url` (the seeds' pool URL formats, e.g.
 * powerflex://user:pass@gateway/pool), never both. Credentials in either are kept out of
 * every event, log and API answer.
 */
export class AddStoragePoolData {
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  @Matches(NAME_RULE, { message: 'name must start with a letter or digit and use only letters, digits, ".", "_" and "-"' })
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
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  tags?: string[];


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
  @IsNumber({ maxDecimalPlaces: 2 })
  @Min(1)
  @Max(100)
  overProvisioningFactor?: number;

  /** No new volume is placed once allocation would pass this fraction of (over-provisioned) capacity; CloudStack's default is 0.85. */
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 4 })
  @Min(0.01)
  @Max(1)
  allocationDisableThreshold?: number;

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

export class CreateVolumeData {
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  @Matches(NAME_RULE, { message: 'name must start with a letter or digit and use only letters, digits, ".", "_" and "-"' })
  name!: string;

  @IsUUID('4')
  poolId!: string;

  @IsInt()
  @Min(1)
  @Max(MAX_VOLUME_BYTES)
  sizeBytes!: number;

  @IsOptional()
  @IsIn(['DATA'], { message: 'volumeType must be DATA (ROOT volumes come with the image service)' })
  volumeType?: 'DATA';
}

export class DeleteVolumeData {}

/** Changes to a pool's own settings; absent fields stay as they are. Backend settings are not changed here. */
export class UpdateStoragePoolData {
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  @Matches(NAME_RULE, { message: 'name must start with a letter or digit and use only letters, digits, ".", "_" and "-"' })
  name?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  tags?: string[];

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
  @IsNumber({ maxDecimalPlaces: 2 })
  @Min(1)
  @Max(100)
  overProvisioningFactor?: number;

  /** No new volume is placed once allocation would pass this fraction of (over-provisioned) capacity; CloudStack's default is 0.85. */
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 4 })
  @Min(0.01)
  @Max(1)
  allocationDisableThreshold?: number;
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
};
