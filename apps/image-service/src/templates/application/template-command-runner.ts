import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Envelope, Topics } from '@strata/contracts';
import { isDomainError } from '@strata/kernel';
import { ConcurrencyError } from '@strata/event-store';
import { AggregateRunner, commandMeta, TOPICS, type CommandMeta } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../image.constants';
import { templateDecider, templateStreamId, type TemplateCommand, type TemplateEvent, type TemplateState } from '../domain/template';

/** Appends a template's events: a command's (with its inbox mark) or a background outcome's (under the intent's causation). */
@Injectable()
export class TemplateCommandRunner {
  private readonly log = new Logger(TemplateCommandRunner.name);

  constructor(
    private readonly runner: AggregateRunner,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async run(command: Envelope, decide: (state: TemplateState) => TemplateCommand): Promise<TemplateEvent[]> {
    const { events } = await this.runner.execute(templateDecider, templateStreamId(command.aggregateId), command.aggregateId, decide, commandMeta(command), {
      outboxTopic: this.topics.imageEvents,
      inbox: { consumer: CONSUMER_GROUP, messageId: command.messageId },
    });
    return events;
  }

  /**
   * Records what background work came to. False when the decider refuses it: the template
   * moved on meanwhile (deleted while downloading, or another worker recorded the outcome).
   */
  async record(templateId: string, command: TemplateCommand, meta: CommandMeta): Promise<boolean> {
    try {
      await this.runner.execute(templateDecider, templateStreamId(templateId), templateId, () => command, meta, { outboxTopic: this.topics.imageEvents });
      return true;
    } catch (error) {
      if (!isDomainError(error) || error instanceof ConcurrencyError) throw error;
      this.log.warn(`template ${templateId}: ${command.type} not recorded: ${error.message}`);
      return false;
    }
  }
}
