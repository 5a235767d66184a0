import { DataSource, type MigrationInterface, type MixedList, type EntitySchema } from 'typeorm';
import { eventStoreMigrations } from './migrations';
import { assertSchemaName } from './schema-name';

export interface ServiceDataSourceOptions {
  readonly url: string;
  /** The service's own schema: every table it owns lives there. */
  readonly schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly entities?: MixedList<Function | string | EntitySchema>;
  /** The service's own migrations, run after the event store's. */
  readonly migrations?: (new () => MigrationInterface)[];
  readonly poolSize?: number;
  readonly applicationName?: string;
}

export function createServiceDataSource(options: ServiceDataSourceOptions): DataSource {
  const schema = assertSchemaName(options.schema);
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema,
    entities: options.entities ?? [],
    migrations: [...eventStoreMigrations(schema), ...(options.migrations ?? [])],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error'],
    applicationName: options.applicationName,
    extra: { max: options.poolSize ?? 10 },
  });
}

/**
 * Connects, creates the schema and runs pending migrations under an advisory lock, so
 * instances starting together do not race each other through the same migration.
 */
export async function initializeServiceDataSource(dataSource: DataSource): Promise<DataSource> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const schema = assertSchemaName(String((dataSource.options as { schema?: string }).schema));
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [`strata-migrate:${schema}`]);
    try {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`strata-migrate:${schema}`]);
    }
  } finally {
    await runner.release();
  }
  return dataSource;
}
