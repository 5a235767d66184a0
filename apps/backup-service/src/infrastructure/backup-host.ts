import { Injectable } from '@nestjs/common';
import { ConfigError, uuidSetting } from '@strata/service-kit';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Checked at start with the other settings; read again per instance (tests set it).
uuidSetting('STRATA_BACKUP_HOST_ID', 'the registered host this service runs on');

/**
 * The registered host the backup service runs on (STRATA_BACKUP_HOST_ID): volumes are
 * attached to it for the data steps. Read here only, when the service starts; a value that
 * is not a host id stops the start. Unset, backups and restores are refused (backup.host_required).
 */
@Injectable()
export class BackupHost {
  readonly hostId: string | null;

  constructor() {
    const value = process.env.STRATA_BACKUP_HOST_ID?.trim();
    if (value && !UUID.test(value)) throw new ConfigError([`STRATA_BACKUP_HOST_ID must be the id (a UUID) of a registered host, got ${JSON.stringify(value)}`]);
    this.hostId = value || null;
  }
}
