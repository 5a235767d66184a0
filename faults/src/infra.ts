// PLACEHOLDER until the run's own PostgreSQL and Kafka exist: uses the shared ones and cannot restart them.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './services';

export interface RunInfra {
  /** An admin URL of the run's PostgreSQL (createTestInfra makes the run's database on it). */
  readonly databaseUrl: string;
  readonly kafkaBrokers: string[];
  /** One line for the log: where the servers are. */
  readonly description: string;
  /** Hard-kills the broker, keeps it down `downMs`, starts it again; resolves when it answers. */
  restartKafka(downMs: number): Promise<void>;
  /** The same for PostgreSQL. */
  restartPostgres(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRunInfra(_dir: string, _log: (line: string) => void): Promise<RunInfra> {
  const file = path.join(REPO_ROOT, '.strata', 'env');
  if (!process.env.DATABASE_URL && existsSync(file)) process.loadEnvFile(file);
  const databaseUrl = process.env.DATABASE_URL;
  const kafka = process.env.KAFKA_BROKERS;
  if (!databaseUrl || !kafka) throw new Error('DATABASE_URL and KAFKA_BROKERS are not set and .strata/env is missing: run `npm run infra:up` first');
  return {
    databaseUrl,
    kafkaBrokers: kafka.split(','),
    description: `shared PostgreSQL and Kafka (${kafka})`,
    restartKafka: async () => {
      throw new Error('restarting Kafka needs the run its own broker (not yet)');
    },
    restartPostgres: async () => {
      throw new Error('restarting PostgreSQL needs the run its own server (not yet)');
    },
    stop: async () => undefined,
  };
}
