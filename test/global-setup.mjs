// Finds or starts the real PostgreSQL and Kafka before integration and end-to-end tests.
// DATABASE_URL / KAFKA_BROKERS, when set, are used as they are (and must answer).
// Each test file then makes its own database and topic prefix (test/support/infra.ts).
import { ensureInfra } from '../scripts/lib/infra.mjs';

export default async function globalSetup() {
  const infra = await ensureInfra({ log: (line) => process.stderr.write(`${line}\n`) });
  process.env.DATABASE_URL = infra.databaseUrl;
  process.env.KAFKA_BROKERS = infra.kafkaBrokers;
}
