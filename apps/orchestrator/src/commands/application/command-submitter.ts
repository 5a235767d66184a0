import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import { OutboxRelay, PgEventStore } from '@strata/event-store';
import type { FieldViolation } from '@strata/kernel';
import { addLogContext, Clock, IdGenerator, TOPICS } from '@strata/service-kit';
import { invalidRequest } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import { JobEntity } from '../../read-model/infrastructure/job.entity';
import { OutboxSecretScrubber } from './outbox-secret-scrubber';
import { secretsOf } from '../domain/command-secrets';
import { acceptedJob, buildCommandEnvelope, checkCommand, commandRouteOf, type Command, type CommandType } from '../domain/command-request';

/**
 * Publishes a command the only safe way: its job row and its outbox row commit together,
 * and the relay sends it to Kafka: a storage command to the storage commands topic, a
 * snapshot command to the snapshot commands topic, an image command to the image commands
 * topic (commandRouteOf). A direct publish beside the database write could lose
 * the one or the other.
 */
@Injectable()
export class CommandSubmitter {
  constructor(
    private readonly store: PgEventStore,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    @Inject(TOPICS) private readonly topics: Topics,
    @Optional() private readonly secrets?: OutboxSecretScrubber,
  ) {}

  /**
   * Validates and submits; returns the job id, or throws request.invalid naming every bad
   * field: the command's own and `moreViolations`, what the caller's use case found wrong
   * with the same request (a pool's plugin config), so that one answer lists them all.
   */
  async submit(
    type: CommandType,
    aggregateId: string,
    data: unknown,
    context: RequestContext,
    moreViolations: readonly FieldViolation[] = [],
  ): Promise<string> {
    const commandId = this.ids.newId();
    const envelope = buildCommandEnvelope({
      type,
      commandId,
      aggregateId,
      occurredAt: this.clock.now(),
      tenant: context.tenant,
      correlationId: context.correlationId,
      data,
    });
    // What the request logs from here on names the command it became.
    addLogContext({ messageId: commandId, commandType: type, correlationId: envelope.correlationId ?? undefined });
    const check = checkCommand(envelope);
    const violations = [...(check.ok ? [] : check.violations), ...moreViolations];
    if (!check.ok || violations.length > 0) throw invalidRequest(violations);
    await this.write(check.command);
    // A credential passes through the outbox only until it is published.
    if (secretsOf(check.command).length > 0) this.secrets?.watch(commandId);
    this.relay.kick();
    return commandId;
  }

  private async write(command: Command): Promise<void> {
    const topic = this.topics[commandRouteOf(command.type).topic];
    await this.store.transaction(async (m) => {
      // TypeORM's deep-partial type cannot express jsonb Records; the row is complete.
      await m.getRepository(JobEntity).insert(acceptedJob(command) as never);
      await this.store.enqueue(m, { topic, key: command.aggregateId, payload: command });
    });
  }
}
