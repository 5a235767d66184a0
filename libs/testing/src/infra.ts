import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The infrastructure a test file gets: its own database and its own topic prefix. */
export interface TestInfra {
  readonly databaseUrl: string;
  readonly kafkaBrokers: string[];
  readonly topicPrefix: string;
  /** A fresh STRATA_SECRET_KEY for the services under test. */
  readonly secretKey: string;
  dispose(): Promise<void>;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    // Never a silent skip: a test that cannot reach its infrastructure fails and says why.
    throw new Error(`${name} is not set: run the tests through jest's int/e2e projects (global setup starts PostgreSQL and Kafka)`);
  }
  return value;
}

export async function createTestInfra(label: string): Promise<TestInfra> {
  const adminUrl = required('DATABASE_URL');
  const kafkaBrokers = required('KAFKA_BROKERS').split(',');
  const suffix = randomBytes(4).toString('hex');
  const database = `strata_t_${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20)}_${suffix}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return {
    databaseUrl: url.toString(),
    kafkaBrokers,
    topicPrefix: `t${suffix}.`,
    secretKey: randomBytes(32).toString('base64'),
    async dispose() {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Polls until `probe` returns a value (not undefined), or fails with `what` after the timeout. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
