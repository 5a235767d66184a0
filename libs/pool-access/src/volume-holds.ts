import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The advisory-lock key of one volume, the same in every service (they share the database). */
export const volumeHoldKey = (volumeId: string) => `strata-volume:${volumeId}`;

/**
 * Holds volumes against each other's backend work across services: the storage service holds
 * a volume while it changes it on the backend (attach, resize, delete, a migration's copy),
 * the snapshot service holds every member while it snapshots or reverts them. So the file
 * backend's VM snapshot, which copies member after member, sees no member change half-way,
 * and a revert cannot race an attach. Session advisory locks on a connection of their own,
 * taken in id order (no deadlock between two holders of overlapping sets).
 */
@Injectable()
export class VolumeHolds {
  constructor(private readonly dataSource: DataSource) {}

  async hold<T>(volumeIds: readonly string[], work: () => Promise<T>): Promise<T> {
    const keys = [...new Set(volumeIds)].sort().map(volumeHoldKey);
    const connection = this.dataSource.createQueryRunner();
    await connection.connect();
    const held: string[] = [];
    try {
      for (const key of keys) {
        await connection.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
        held.push(key);
      }
      return await work();
    } finally {
      for (const key of held.reverse()) await connection.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
      await connection.release();
    }
  }
}
