import { Inject, Injectable } from '@nestjs/common';
import type { StorageCommand, StorageCommandType, Topics } from '@strata/contracts';
import { OutboxRelay, PgEventStore } from '@strata/event-store';
import type { FieldViolation } from '@strata/kernel';
import { Clock, IdGenerator, TOPICS } from '@strata/service-kit';
import { invalidRequest } from '../../errors';
import type { RequestContext } from '../../http/request-context';
import { JobEntity } from '../../read-model/infrastructure/job.entity';
import { acceptedJob, buildCommandEnvelope, checkCommand } from '../domain/command-request';

/**
 * Publishes a command the only safe way: its job row and its outbox row commit together,
 * and the relay sends it to Kafka. A direct publish beside the database write could lose
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
  ) {}

  /**
   * Validates and submits; returns the job id, or throws request.invalid naming every bad
   * field: the command's own and `moreViolations`, what the caller's use case found wrong
   * with the same request (a pool's plugin config), so that one answer lists them all.
   */
  async submit(
    type: StorageCommandType,
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
    const check = checkCommand(envelope);
    const violations = [...(check.ok ? [] : check.violations), ...moreViolations];
    if (!check.ok || violations.length > 0) throw invalidRequest(violations);
    await this.write(check.command);
    this.relay.kick();
    return commandId;
  }

  private async write(command: StorageCommand): Promise<void> {
    await this.store.transaction(async (m) => {
      // TypeORM's deep-partial type cannot express jsonb Records; the row is complete.
      await m.getRepository(JobEntity).insert(acceptedJob(command) as never);
      await this.store.enqueue(m, { topic: this.topics.storageCommands, key: command.aggregateId, payload: command });
    });
  }
}
