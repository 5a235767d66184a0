import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Serialises, per zone, what reads the pools' free space and then promises some of it
 * (placing a volume, growing one, planning a migration): without it, two creates read the
 * same free space and both take the last of it. A session-level advisory lock on a
 * connection of its own, held from the read through the append of the intent; the backend
 * call that follows runs outside it.
 */
@Injectable()
export class AllocationLock {
  constructor(private readonly dataSource: DataSource) {}

  async inZone<T>(zoneId: string, work: () => Promise<T>): Promise<T> {
    const connection = this.dataSource.createQueryRunner();
    await connection.connect();
    const key = `strata-allocation:${zoneId}`;
    try {
      await connection.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
      try {
        return await work();
      } finally {
        await connection.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
      }
    } finally {
      await connection.release();
    }
  }
}
