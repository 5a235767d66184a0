import {
  ClientTuningConfig,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  type ValidationOptions,
} from '@strata/plugin-sdk';

/** StorPool's own name rules (python-storpool sptypes.py). */
export const TEMPLATE_NAME = /^[A-Za-z0-9_-]+$/;
export const TAG_KEY = /^[A-Za-z0-9_\-.:]+$/;
export const TAG_VALUE = /^[A-Za-z0-9_\-.:]*$/;
/** Highest StorPool client id (MAX_PEERS_PER_SUBTYPE - 1). */
export const MAX_CLIENT_ID = 4095;

/** The seeds' default SP_API_HTTP_PORT. */
export const STORPOOL_DEFAULT_PORT = 81;

/**
 * Pool configuration of the StorPool backend: one Strata pool is one StorPool
 * template on one cluster (the plugin guide: "one template can be used for at
 * most one Storage Pool"). The seeds' URL formats turn into this via parseUrl.
 */
export class StorPoolConfig extends ClientTuningConfig {
  /** SP_API_HTTP host: name or IP of the StorPool management API. */
  @IsString()
  @Matches(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/, {
    message: 'host must be a host name, an IPv4 address or a bracketed IPv6 address',
  })
  host!: string;

  /** SP_API_HTTP port; 81 when omitted. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;

  /** SP_AUTH_TOKEN, sent as `Authorization: Storpool v1:<token>`; a secret. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  @Matches(/^[\x21-\x7e]+$/, { message: 'authToken must be printable ASCII without spaces (it goes into an HTTP header)' })
  authToken!: string;

  /** SP_TEMPLATE: the StorPool template this pool's volumes are created in. */
  @IsString()
  @MaxLength(199)
  @Matches(TEMPLATE_NAME, { message: 'template must match ^[A-Za-z0-9_-]+$ (StorPool template names)' })
  template!: string;

  /** Tag key of the storpool_qos tier (the plugin guide's qc tag); 'qc' when omitted. */
  @IsOptional()
  @IsString()
  @MaxLength(199)
  @Matches(TAG_KEY, { message: 'qosTierTagKey must match ^[A-Za-z0-9_\\-.:]+$ (StorPool tag keys)' })
  qosTierTagKey?: string;

  /** A QoS tier every new volume of this pool gets (the disk offering's SP_QOSCLASS); none when omitted. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(199)
  @Matches(TAG_VALUE, { message: 'defaultQosTier must match ^[A-Za-z0-9_\\-.:]*$ (StorPool tag values)' })
  defaultQosTier?: string;

  /** Value of the vc-policy tag put on every new volume (CloudStack's VM vc-policy); none when omitted. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(199)
  @Matches(TAG_VALUE, { message: 'vcPolicy must match ^[A-Za-z0-9_\\-.:]*$ (StorPool tag values)' })
  vcPolicy?: string;

  /** Send volume and snapshot calls as MultiCluster/<Query>, as CloudStack and os-brick do. */
  @IsOptional()
  @IsBoolean()
  multiCluster?: boolean;

  /** Host names (as the storage service knows hosts) to StorPool client ids (SP_OURID); a host may also be given as the id itself. */
  @IsOptional()
  @IsClientMap()
  clients?: Record<string, number>;

  /** Where a granted volume appears on the host; {name} and {client} are replaced. '/dev/storpool/{name}' when omitted. */
  @IsOptional()
  @IsString()
  @Matches(/^\/(?!.*\0).*\{name\}/, { message: 'devicePath must be an absolute path containing {name}' })
  devicePath?: string;

  /** The vendor client's retry count for errors marked transient (python-storpool: 5). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  transientRetries?: number;

  /** First backoff step: retry n sleeps base * 2^n (python-storpool: 1 s, i.e. 2^n s). Lower only in tests. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  transientRetryBaseMs?: number;
}

export const STORPOOL_DEFAULTS = {
  port: STORPOOL_DEFAULT_PORT,
  qosTierTagKey: 'qc',
  devicePath: '/dev/storpool/{name}',
  transientRetries: 5,
  transientRetryBaseMs: 1000,
} as const;

/** A plain object of host name -> client id (1..4095); names are never secret, ids are integers. */
function IsClientMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isClientMap',
      validator: {
        validate: (value: unknown): boolean =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.entries(value as Record<string, unknown>).every(
            ([host, id]) => host.trim() !== '' && Number.isInteger(id) && (id as number) >= 1 && (id as number) <= MAX_CLIENT_ID,
          ),
        defaultMessage: (): string => `clients must map host names to StorPool client ids (integers 1-${MAX_CLIENT_ID})`,
      },
    },
    options,
  );
}
