import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** How many backups a target keeps: RemoveBackupTarget is refused while any are. */
export abstract class BackupsOnTarget {
  abstract count(targetId: string): Promise<number>;
}

/**
 * Read from the backup event log: backups requested on (or imported from) the target that have not failed and
 * are not deleted. A running backup counts too: removing its target would pull the ground
 * from under it.
 */
@Injectable()
export class BackupsOnTargetFromLog extends BackupsOnTarget {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async count(targetId: string): Promise<number> {
    const [{ n }]: { n: number }[] = await this.dataSource.query(
      `SELECT count(DISTINCT r.data->>'backupId')::int AS n
         FROM "backup".events r
        WHERE r.type IN ('BackupRequested', 'BackupImported') AND r.data->>'targetId' = $1
          AND NOT EXISTS (SELECT 1 FROM "backup".events e
                           WHERE e.type IN ('BackupFailed', 'BackupDeleted') AND e.data->>'backupId' = r.data->>'backupId')`,
      [targetId],
    );
    return n;
  }
}
