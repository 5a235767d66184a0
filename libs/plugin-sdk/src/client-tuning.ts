import { IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * Settings every REST-backed plugin takes, named after the seeds' pool settings
 * (storage.pool.client.timeout, storage.pool.client.max.connections,
 * storage.pool.disk.wait). Vendor config classes extend this.
 */
export class ClientTuningConfig {
  /** Per-request timeout. */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  timeoutMs?: number;

  /** Requests in flight at once against the backend, per pool. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(256)
  maxConnections?: number;

  /** How long a grant waits for the device to appear on the host. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  diskWaitMs?: number;
}

export const CLIENT_TUNING_DEFAULTS = { timeoutMs: 30_000, maxConnections: 10, diskWaitMs: 60_000 } as const;

export function clientTuning(config: ClientTuningConfig): { timeoutMs: number; maxConnections: number; diskWaitMs: number } {
  return {
    timeoutMs: config.timeoutMs ?? CLIENT_TUNING_DEFAULTS.timeoutMs,
    maxConnections: config.maxConnections ?? CLIENT_TUNING_DEFAULTS.maxConnections,
    diskWaitMs: config.diskWaitMs ?? CLIENT_TUNING_DEFAULTS.diskWaitMs,
  };
}
