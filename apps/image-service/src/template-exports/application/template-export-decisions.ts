import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { Topics } from '@strata/contracts';
import { PgEventStore } from '@strata/event-store';
import { AggregateRunner, Clock, enqueueCommand, TOPICS, type CommandMeta } from '@strata/service-kit';
import type { EntityManager } from 'typeorm';
import { outgoingEnvelope } from '../../bases/application/base-decisions';
import { ImageStoreCatalog } from '../../image-stores/application/image-store-catalog';
import { templateDecider, templateFile, templateStreamId, type TemplateEvent, type TemplateState } from '../../templates/domain/template';
import { commandsFor, membersOf, templateExportDecider, type TemplateExportCommand } from '../domain/template-export';
import { TemplateExportsStore } from '../infrastructure/template-exports.store';

/**
 * Decide a step, append it, and send the command it calls for, in one transaction: the
 * template's events (image events topic), the command to the storage service (outbox), the
 * members table and, for an incoming message, its inbox mark. A crash leaves all of it or
 * none; a redelivery finds the inbox mark, or decides nothing (the decider ignores repeats).
 */
@Injectable()
export class TemplateExportDecisions {
  constructor(
    private readonly runner: AggregateRunner,
    private readonly store: PgEventStore,
    private readonly exports: TemplateExportsStore,
    private readonly stores: ImageStoreCatalog,
    private readonly clock: Clock,
    @Inject(TOPICS) private readonly topics: Topics,
  ) {}

  async execute(
    templateId: string,
    command: TemplateExportCommand,
    meta: CommandMeta,
    inbox?: { readonly consumer: string; readonly messageId: string },
  ): Promise<TemplateEvent[]> {
    // The state the runner decided on, so the same (pure) decision is replayed to find the commands it sends.
    let before: TemplateState = templateDecider.initialState();
    const { events } = await this.runner.execute(
      templateExportDecider,
      templateStreamId(templateId),
      templateId,
      (state) => {
        before = state;
        return command;
      },
      meta,
      { outboxTopic: this.topics.imageEvents, ...(inbox ? { inbox } : {}), alsoWrite: (m) => this.alsoWrite(m, before, command, meta) },
    );
    return events;
  }

  private async alsoWrite(m: EntityManager, before: TemplateState, command: TemplateExportCommand, meta: CommandMeta): Promise<void> {
    let state = before;
    for (const event of templateExportDecider.decide(command, before)) {
      state = templateDecider.evolve(state, event);
      if (event.type === 'TemplateRegistrationRequested' && event.data.source.kind === 'volume') {
        await this.exports.addMembers(m, event.data.templateId, membersOf(event.data.templateId, event.data.source.snapshotId));
      }
      if (event.type !== 'TemplateExportStepRequested' || state.status === 'absent') continue;
      const exportPath = event.data.step === 'export' ? await this.exportPath(state.imageStoreId, state.templateId) : '';
      for (const out of commandsFor(state, event, command, exportPath)) {
        await enqueueCommand(m, this.store, this.topics.storageCommands, outgoingEnvelope(out, meta, this.clock.now()));
      }
    }
  }

  /** Where the storage service writes the file: the template's name on its store (the store must be mounted at the same path on the data mover). */
  private async exportPath(imageStoreId: string, templateId: string): Promise<string> {
    const store = await this.stores.get(imageStoreId);
    if (!store) throw new Error(`image store ${imageStoreId} of template ${templateId} is unknown`);
    return path.join(store.path, templateFile(templateId, 'qcow2'));
  }
}
