// class-transformer's @Type reads design-time metadata.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
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
  ValidateNested,
} from 'class-validator';

/** Largest size we accept: 1 PiB, well inside a JSON number's exact integers. */
export const MAX_VOLUME_BYTES = 2 ** 50;
const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export class FilePoolConfig {
  /** Absolute path of the directory that holds the pool's volume files. */
  @IsString()
  @Matches(/^\//, { message: 'path must be an absolute path' })
  @MaxLength(4096)
  path!: string;
}

export class AddStoragePoolData {
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  @Matches(NAME_RULE, { message: 'name must start with a letter or digit and use only letters, digits, ".", "_" and "-"' })
  name!: string;

  @IsIn(['file'], { message: 'plugin must be one of: file' })
  plugin!: 'file';

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

  @IsObject()
  @ValidateNested()
  @Type(() => FilePoolConfig)
  config!: FilePoolConfig;
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

export interface StorageCommandDataMap {
  AddStoragePool: AddStoragePoolData;
  CreateVolume: CreateVolumeData;
  DeleteVolume: DeleteVolumeData;
}
export type StorageCommandType = keyof StorageCommandDataMap;

/** Data schema of each command type, used to validate at the edges (REST and Kafka). */
export const storageCommandSchemas: { readonly [K in StorageCommandType]: new () => StorageCommandDataMap[K] } = {
  AddStoragePool: AddStoragePoolData,
  CreateVolume: CreateVolumeData,
  DeleteVolume: DeleteVolumeData,
};
