import { Inject, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { isDomainError, type FieldViolation } from '@strata/kernel';
import { decodeMessage, ENVELOPE_SCHEMA_VERSION, type CommandRejected, type Envelope, type Validation } from '@strata/contracts';
import { ConcurrencyError, DuplicateMessageError, type OutboxRelay, type PgEventStore } from '@strata/event-store';
import { deadLetter, describeActiveSpan, type IncomingMessage, type MessageBus, type Subscription } from '@strata/messaging';
import type { Clock, IdGenerator } from './clock';
import { addLogContext, withLogContext } from './log-context';
import { MetricsRegistry, type CommandOutcome } from './metrics';

export interface CommandIntakeOptions<C extends Envelope> {
  readonly consumerGroup: string;
  readonly commandTopic: string;
  /** Where CommandRejected goes: the service's events topic. */
  readonly eventsTopic: string;
  readonly deadLetterTopic: string;
  readonly validate: (envelope: Envelope<string, unknown>) => Validation<C>;
  /** Carries the command out; a DomainError it throws becomes a CommandRejected event. */
  readonly handle: (command: C) => Promise<void>;
  readonly partitionsConsumedConcurrently?: number;
}

export interface IntakeDeps {
  readonly bus: MessageBus;
  readonly store: PgEventStore;
  readonly relay: OutboxRelay;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Where commands are counted and timed; without it nothing is recorded. */
  readonly metrics?: MetricsRegistry;
}

/** What the intake learned of a message, for its metrics. */
interface Seen {
  type: string;
  outcome: CommandOutcome;
}

/**
 * The one way a command enters a service from Kafka: bytes that cannot be read go to the
 * dead-letter topic with the reason; a command already handled is skipped; an invalid or
 * refused command is answered with CommandRejected; the rest goes to the handler.
 */
export class CommandIntake<C extends Envelope> {
  private readonly log: Logger;
  private subscription?: Subscription;

  constructor(
    private readonly deps: IntakeDeps,
    private readonly options: CommandIntakeOptions<C>,
  ) {
    this.log = new Logger(`CommandIntake:${options.consumerGroup}`);
  }

  async start(): Promise<void> {
    this.subscription = await this.deps.bus.subscribe({
      groupId: this.options.consumerGroup,
      topics: [this.options.commandTopic],
      fromBeginning: true,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      handle: (message) => this.receive(message),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  /**
   * One command, inside the bus's consumer span (it continues the sender's trace from the
   * message's traceparent) and a log context of its own: what it logs, and the outbox rows
   * it writes, carry its ids and trace.
   */
  receive(message: IncomingMessage): Promise<void> {
    return withLogContext({}, () => this.receiveInContext(message));
  }

  private async receiveInContext(message: IncomingMessage): Promise<void> {
    const started = process.hrtime.bigint();
    const seen: Seen = { type: 'unknown', outcome: 'failed' };
    try {
      seen.outcome = await this.process(message, seen);
    } finally {
      // Dead letters have no readable type and no handling worth timing.
      const seconds = seen.outcome === 'dead_lettered' ? undefined : Number(process.hrtime.bigint() - started) / 1e9;
      this.deps.metrics?.recordCommand(seen.type, seen.outcome, seconds);
    }
  }

  /** How the command ended; `seen.type` gets its type as a bounded label. Throws when it must be redelivered. */
  private async process(message: IncomingMessage, seen: Seen): Promise<CommandOutcome> {
    const decoded = decodeMessage(message.value);
    if (!decoded.ok) return this.deadLetter(message, decoded.reason);
    try {
      return await this.processEnvelope(decoded.envelope, seen);
    } catch (error) {
      // PostgreSQL refuses some data for good (class 22: a NUL in text, a number out of
      // range...). Redelivering such a message would stop its partition forever; it goes to
      // the dead-letter topic with its bytes instead. Anything else is redelivered.
      if (isPermanentDataError(error)) return this.deadLetter(message, `the database refused its data: ${(error as Error).message}`);
      throw error;
    }
  }

  private async deadLetter(message: IncomingMessage, reason: string): Promise<CommandOutcome> {
    this.log.warn(`dead-lettering ${message.topic}[${message.partition}]@${message.offset}: ${reason}`);
    await this.deps.bus.publish([
      deadLetter(this.options.deadLetterTopic, message, reason, this.options.consumerGroup, this.deps.clock.now().toISOString()),
    ]);
    return 'dead_lettered';
  }

  private async processEnvelope(envelope: Envelope<string, unknown>, seen: Seen): Promise<CommandOutcome> {
    const validation = this.options.validate(envelope);
    // Only a valid command's type becomes a label: anything else would let senders mint series.
    seen.type = validation.ok ? validation.command.type : 'invalid';
    addLogContext({
      messageId: envelope.messageId,
      correlationId: typeof envelope.correlationId === 'string' ? envelope.correlationId : envelope.messageId,
      commandType: seen.type,
    });
    describeActiveSpan(`command ${seen.type}`, { 'messaging.message.id': envelope.messageId, 'strata.command.type': seen.type });
    if (await this.deps.store.isHandled(this.options.consumerGroup, envelope.messageId)) return 'duplicate';

    if (!validation.ok) {
      await this.reject(envelope, {
        code: 'command.invalid',
        category: 'validation',
        message: validation.violations.map((v) => `${v.field}: ${v.message}`).join('; '),
      }, validation.violations);
      return 'rejected';
    }
    try {
      await this.options.handle(validation.command);
      return 'handled';
    } catch (error) {
      if (error instanceof DuplicateMessageError) return 'duplicate';
      if (isDomainError(error) && !(error instanceof ConcurrencyError)) {
        const { violations: found, ...details } = error.details as { violations?: FieldViolation[] };
        const violations = Array.isArray(found) ? found : [];
        await this.reject(envelope, { code: error.code, category: error.category, message: error.message }, violations, details);
        return 'rejected';
      }
      throw error;
    } finally {
      this.deps.relay.kick();
    }
  }

  /** Rejections live in a stream of their own per command, so a redelivery cannot add a second. */
  private async reject(
    envelope: Envelope<string, unknown>,
    error: CommandRejected['error'],
    violations: readonly FieldViolation[],
    details: Readonly<Record<string, unknown>> = {},
  ): Promise<void> {
    const aggregateId = typeof envelope.aggregateId === 'string' ? envelope.aggregateId : null;
    const data: CommandRejected = {
      commandId: envelope.messageId,
      commandType: typeof envelope.type === 'string' ? envelope.type : 'unknown',
      aggregateId,
      error,
      violations,
      ...(Object.keys(details).length > 0 ? { details } : {}),
    };
    this.log.warn(`rejected ${data.commandType} ${data.commandId}: ${error.code}: ${error.message}`);
    try {
      await this.deps.store.append(
        `command-${envelope.messageId}`,
        0,
        [
          {
            messageId: this.deps.ids.newId(),
            type: 'CommandRejected',
            schemaVersion: ENVELOPE_SCHEMA_VERSION,
            aggregateId: aggregateId ?? envelope.messageId,
            occurredAt: this.deps.clock.now().toISOString(),
            correlationId: typeof envelope.correlationId === 'string' ? envelope.correlationId : envelope.messageId,
            causationId: envelope.messageId,
            tenant: typeof envelope.tenant === 'string' ? envelope.tenant : null,
            data,
          },
        ],
        { outboxTopic: this.options.eventsTopic, inbox: { consumer: this.options.consumerGroup, messageId: envelope.messageId } },
      );
    } catch (e) {
      if (e instanceof ConcurrencyError || e instanceof DuplicateMessageError) return;
      throw e;
    } finally {
      this.deps.relay.kick();
    }
  }
}

/** A PostgreSQL data exception (SQLSTATE class 22): the same data will be refused every time. */
export function isPermanentDataError(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.driverError?.code === 'string' ? e.driverError.code : '';
  return /^22[0-9A-Z]{3}$/.test(code);
}

/**
 * The Kafka edge of a service as a Nest provider: starts the intake at bootstrap, stops it
 * before shutdown; a service subclasses it with its topics, validator and the one thing
 * that differs, how a valid command is dispatched to its handler.
 */
export abstract class ServiceCommandIntake<C extends Envelope> implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private intake?: CommandIntake<C>;
  /** Property-injected so the services' constructors need not change; absent outside PlatformModule. */
  @Optional() @Inject(MetricsRegistry) protected readonly metrics?: MetricsRegistry;

  protected constructor(
    private readonly deps: IntakeDeps,
    private readonly options: Omit<CommandIntakeOptions<C>, 'handle'>,
  ) {}

  /** Carries out one valid command; a DomainError it throws becomes a CommandRejected event. */
  protected abstract dispatch(command: C): Promise<void>;

  async onApplicationBootstrap(): Promise<void> {
    const deps = this.deps.metrics || !this.metrics ? this.deps : { ...this.deps, metrics: this.metrics };
    this.intake = new CommandIntake<C>(deps, { ...this.options, handle: (command) => this.dispatch(command) });
    await this.intake.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.intake?.stop();
  }
}
