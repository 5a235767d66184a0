import {
  ArrayMaxSize,
  ClientTuningConfig,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  type ValidationOptions,
} from '@strata/plugin-sdk';

/** LINSTOR object names (RD, RG, snapshot): 2-48 characters, a letter or '_' first, then [A-Za-z0-9_-]. */
export const LINSTOR_NAME = /^[A-Za-z_][A-Za-z0-9_-]{1,47}$/;
/** Node names are host names: letters, digits, '-' and '.', at most 255. */
export const LINSTOR_NODE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$/;

export const CLONE_MODES = ['snapshot', 'copy'] as const;
export type CloneMode = (typeof CLONE_MODES)[number];
export const CAPACITY_MODES = ['least-free', 'average'] as const;
export type CapacityMode = (typeof CAPACITY_MODES)[number];

/**
 * Pool configuration of the LINSTOR backend: one pool is one resource group on one
 * controller (the LINSTOR primary-storage spec), with the OpenNebula driver's settings.
 */
export class LinstorConfig extends ClientTuningConfig {
  /** The controller's REST endpoint: http://host:3370 or https://host:3371. */
  @IsString()
  @IsHttpUrl()
  controllerUrl!: string;

  /** The resource group volumes are spawned from; it holds the storage pools and the place count. */
  @IsString()
  @Matches(LINSTOR_NAME, { message: 'resourceGroup must be a LINSTOR name: 2-48 characters, a letter or _ first, then letters, digits, _ or -' })
  resourceGroup!: string;

  /** Bearer token, when the controller has Auth/TokenAuthenticationEnabled (secret). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  token?: string;

  /** Diskful replicas per volume (AUTO_PLACE); omitted: the resource group's own place_count. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(8)
  placeCount?: number;

  /** How clones are made (CLONE_MODE): 'snapshot' restores the snapshot, 'copy' makes a full copy. */
  @IsOptional()
  @IsIn(CLONE_MODES)
  cloneMode?: CloneMode;

  /** LINSTOR nodes that move data for the storage service itself (BRIDGE_LIST). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @Matches(LINSTOR_NODE_NAME, { each: true, message: 'each data-mover host must be a LINSTOR node name' })
  dataMoverHosts?: string[];

  /** Capacity as the least free node's pool, or the average of the pools (LINSTOR seed spec). */
  @IsOptional()
  @IsIn(CAPACITY_MODES)
  capacityMode?: CapacityMode;

  /** How long a copy-mode clone may run before the driver gives up waiting (it keeps running). */
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(86_400_000)
  cloneWaitMs?: number;
}

export const LINSTOR_DEFAULTS = { cloneMode: 'snapshot', capacityMode: 'least-free', cloneWaitMs: 600_000 } as const;

function IsHttpUrl(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHttpUrl',
      validator: {
        validate: (value: unknown): boolean => {
          if (typeof value !== 'string') return false;
          try {
            const url = new URL(value);
            return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '' && url.search === '';
          } catch {
            return false;
          }
        },
        defaultMessage: (): string => 'controllerUrl must be an http(s) URL of the controller (e.g. http://controller:3370), without credentials or query',
      },
    },
    options,
  );
}
