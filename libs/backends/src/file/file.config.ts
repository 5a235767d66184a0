import { isAbsolute } from 'node:path';
import { IsString, ValidateBy, type ValidationOptions } from '@strata/plugin-sdk';

/** Pool configuration of the file backend: the directory that holds the pool's volumes. */
export class FileConfig {
  /** Absolute path of the pool directory, on local disk or an NFS mount; created by connect if missing. */
  @IsString()
  @IsAbsolutePath()
  path!: string;
}

/**
 * A relative path would resolve against whatever directory the service
 * happens to start in, so two services could see two different pools.
 */
function IsAbsolutePath(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAbsolutePath',
      validator: {
        validate: (value: unknown): boolean => typeof value === 'string' && isAbsolute(value) && !value.includes('\0'),
        defaultMessage: (): string => 'path must be an absolute path (starting with /) without NUL characters',
      },
    },
    options,
  );
}
