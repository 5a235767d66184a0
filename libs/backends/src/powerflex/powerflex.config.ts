import { isAbsolute } from 'node:path';
import { ClientTuningConfig, IsNotEmpty, IsOptional, IsString, IsUrl, MaxLength, ValidateBy, type ValidationOptions } from '@strata/plugin-sdk';

/**
 * Pool configuration of the PowerFlex backend: the seed's powerflex://user:pass@gateway/pool
 * spelt out (parseUrl turns the URL into this), plus the client tuning every REST backend takes.
 */
export class PowerFlexConfig extends ClientTuningConfig {
  /** The gateway's base URL, https://gateway[:port]; http only for a simulator or a lab. */
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['https', 'http'] })
  gatewayUrl!: string;

  /** API user of the gateway. */
  @IsString()
  @IsNotEmpty()
  username!: string;

  /** Its password; a secret (redacted wherever a config is shown). */
  @IsString()
  @IsNotEmpty()
  password!: string;

  /** The storage pool: its name (case-sensitive, as in the URL) or its 16-hex id. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(31)
  storagePool!: string;

  /** Protection domain name or id, needed only when two domains hold pools of the same name. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  protectionDomain?: string;

  /**
   * Where a mapped volume appears when the driver runs on the host itself:
   * <deviceDir>/emc-vol-<systemId>-<volumeId>; `{sdcId}` is replaced by the host's SDC id
   * (the simulator gives every SDC a directory of its own). When set, a grant waits up to
   * diskWaitMs for the device; when omitted the grant returns /dev/disk/by-id/... and the
   * host's agent waits for it, as CloudStack's KVM adaptor does with storage.pool.disk.wait.
   */
  @IsOptional()
  @IsString()
  @IsAbsoluteDir()
  deviceDir?: string;
}

function IsAbsoluteDir(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAbsolutePath',
      validator: {
        validate: (value: unknown): boolean => typeof value === 'string' && isAbsolute(value) && !value.includes('\0'),
        defaultMessage: (): string => 'deviceDir must be an absolute path',
      },
    },
    options,
  );
}
