import {
  Inject,
  Injectable,
  Logger,
  Module,
  RequestMethod,
  type BeforeApplicationShutdown,
  type MiddlewareConsumer,
  type NestModule,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource, type MigrationInterface } from 'typeorm';
import { TopicDefaults, topics as topicNames, type Topics } from '@strata/contracts';
import {
  createServiceDataSource,
  initializeServiceDataSource,
  OutboxRelay,
  PgEventStore,
} from '@strata/event-store';
import { currentTraceHeaders, DEFAULT_SESSION_TIMEOUT_MS, KafkaMessageBus, type MessageBus } from '@strata/messaging';
import { AggregateRunner } from './aggregate-runner';
import { Clock, IdGenerator, RandomIdGenerator, SystemClock } from './clock';
import { checkedSetting, kafkaSessionTimeoutFromEnv, loadServiceConfig, type ServiceConfig } from './config';
import { HealthController } from './health.controller';
import { MetricsController, MetricsRegistry } from './metrics';
import { RequestTracingMiddleware } from './request-tracing';
import { flushTracing, setupTracing } from './tracing';
import { MESSAGE_BUS, SERVICE_CONFIG, TOPICS } from './tokens';

/** Read when the module loads, reported with the other settings at start (config.ts). */
const KAFKA_SESSION_TIMEOUT_MS = checkedSetting(
  'STRATA_KAFKA_SESSION_TIMEOUT_MS',
  (raw) => kafkaSessionTimeoutFromEnv({ STRATA_KAFKA_SESSION_TIMEOUT_MS: raw }),
  DEFAULT_SESSION_TIMEOUT_MS,
);

export interface PlatformOptions {
  readonly serviceName: string;
  readonly defaultPort: number;
  /** The PostgreSQL schema the service owns. */
  readonly schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly entities?: Function[];
  readonly migrations?: (new () => MigrationInterface)[];
  /** Topics this service creates if missing; partitions and retention default to TopicDefaults. */
  readonly topics?: readonly { key: keyof Topics; partitions?: number; retentionMs?: number }[];
}

/**
 * Starts the outbox relay once Nest is up. On shutdown the relay stops with the other
 * before-shutdown hooks (consumers included); connections close only after all of them,
 * so no handler loses its database or broker mid-message.
 */
@Injectable()
class PlatformLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly log = new Logger('Platform');
  constructor(
    private readonly relay: OutboxRelay,
    private readonly dataSource: DataSource,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}
  onApplicationBootstrap(): void {
    this.relay.start();
    this.log.log('outbox relay started');
  }
  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await flushTracing();
  }
}

/**
 * The infrastructure every service shares: configuration, its PostgreSQL schema with the
 * event store, the Kafka bus, the outbox relay, the clock and id source, /health and
 * /metrics (Prometheus, one registry per app).
 */
@Module({})
export class PlatformModule implements NestModule {
  /** Every route runs with its request's log context, and all but probes and scrapes in a request span. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestTracingMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  static forService(options: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      controllers: [HealthController, MetricsController],
      providers: [
        {
          provide: SERVICE_CONFIG,
          useFactory: () => {
            // bootstrapService sets tracing up before Nest; an app built otherwise (tests) gets it here.
            setupTracing(options.serviceName);
            return loadServiceConfig(options.serviceName, options.defaultPort);
          },
        },
        {
          provide: TOPICS,
          inject: [SERVICE_CONFIG],
          useFactory: (config: ServiceConfig) => topicNames(config.topicPrefix),
        },
        {
          provide: MESSAGE_BUS,
          inject: [SERVICE_CONFIG, TOPICS],
          useFactory: async (config: ServiceConfig, topics: Topics) => {
            const log = new Logger('Kafka');
            const bus = new KafkaMessageBus({
              brokers: config.kafkaBrokers,
              clientId: config.serviceName,
              replicationFactor: config.kafkaReplicationFactor,
              groupIdPrefix: config.topicPrefix,
              sessionTimeoutMs: KAFKA_SESSION_TIMEOUT_MS,
              log: (level, message, extra) =>
                level === 'error' ? log.error(message, JSON.stringify(extra ?? {})) : log.warn(message),
            });
            if (options.topics?.length) {
              await bus.ensureTopics(
                options.topics.map((t) => ({
                  topic: topics[t.key],
                  numPartitions: t.partitions ?? TopicDefaults[t.key].partitions,
                  retentionMs: t.retentionMs ?? TopicDefaults[t.key].retentionMs,
                })),
              );
            }
            return bus;
          },
        },
        {
          provide: DataSource,
          inject: [SERVICE_CONFIG],
          useFactory: async (config: ServiceConfig) =>
            initializeServiceDataSource(
              createServiceDataSource({
                url: config.databaseUrl,
                schema: options.schema,
                entities: options.entities,
                migrations: options.migrations,
                applicationName: config.serviceName,
              }),
            ),
        },
        {
          provide: MetricsRegistry,
          inject: [SERVICE_CONFIG, DataSource, MESSAGE_BUS],
          useFactory: (config: ServiceConfig, ds: DataSource, bus: MessageBus) => {
            const metrics = new MetricsRegistry(config.serviceName);
            metrics.trackOutbox(ds, options.schema);
            if (bus.consumerLag) metrics.trackConsumerLag({ consumerLag: () => bus.consumerLag!() });
            return metrics;
          },
        },
        {
          provide: PgEventStore,
          inject: [DataSource],
          // Outbox rows keep the trace context they were written in, for the relay to publish.
          useFactory: (ds: DataSource) => new PgEventStore(ds, options.schema, { outboxHeaders: currentTraceHeaders }),
        },
        {
          provide: OutboxRelay,
          inject: [DataSource, MESSAGE_BUS],
          useFactory: (ds: DataSource, bus: MessageBus) => {
            const log = new Logger('OutboxRelay');
            return new OutboxRelay(ds, options.schema, bus, {
              onError: (error) => log.error(`relay failed: ${(error as Error).message}`),
            });
          },
        },
        { provide: Clock, useClass: SystemClock },
        { provide: IdGenerator, useClass: RandomIdGenerator },
        AggregateRunner,
        PlatformLifecycle,
        RequestTracingMiddleware,
      ],
      exports: [
        SERVICE_CONFIG,
        TOPICS,
        MESSAGE_BUS,
        DataSource,
        PgEventStore,
        OutboxRelay,
        Clock,
        IdGenerator,
        AggregateRunner,
        MetricsRegistry,
      ],
    };
  }
}
