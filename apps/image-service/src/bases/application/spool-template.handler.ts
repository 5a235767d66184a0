import { Injectable } from '@nestjs/common';
import { templateBaseId, type Envelope, type SpoolTemplateData } from '@strata/contracts';
import { DomainError, ErrorCategory } from '@strata/kernel';
import { commandMeta } from '@strata/service-kit';
import { CONSUMER_GROUP } from '../../image.constants';
import { TemplateSources } from '../../templates/application/template-sources';
import { BasesStore } from '../infrastructure/bases.store';
import { BaseDecisions } from './base-decisions';

/**
 * SpoolTemplate (from the orchestrator's deploy saga): make sure the template has a cached
 * base on the pool. The pool's zone comes from the bases' own view of the pools; the
 * template's copy in that zone from the templates context. The first request records the
 * spool and sends CreateVolume fromImage in the same transaction; later ones join it or
 * find it ready (the decider).
 */
@Injectable()
export class SpoolTemplateHandler {
  constructor(
    private readonly decisions: BaseDecisions,
    private readonly bases: BasesStore,
    private readonly sources: TemplateSources,
  ) {}

  async handle(command: Envelope<'SpoolTemplate', SpoolTemplateData>): Promise<void> {
    const { templateId, poolId } = command.data;
    const baseId = templateBaseId(templateId, poolId);
    if (command.aggregateId !== baseId) {
      throw new DomainError('template_base.wrong_aggregate', ErrorCategory.Validation, `SpoolTemplate's aggregate must be the base's id ${baseId}`, {
        violations: [{ field: 'aggregateId', rule: 'templateBaseId', message: `aggregateId must be templateBaseId(templateId, poolId) = ${baseId}` }],
      });
    }
    const pool = await this.bases.pool(poolId);
    // With no known pool the decider refuses pool.not_found (after the template's own refusals).
    const template = await this.sources.sourceFor(templateId, pool?.zoneId ?? '');
    const copy = template.copyInZone;
    await this.decisions.execute(
      baseId,
      {
        type: 'SpoolTemplate',
        baseId,
        templateId,
        poolId,
        template: {
          templateId,
          status: template.status,
          kind: template.kind,
          copyInZone: copy ? { path: copy.path, format: copy.format, virtualSizeBytes: copy.virtualSizeBytes } : null,
        },
        pool,
        dataMoverHostId: command.data.dataMoverHostId ?? null,
      },
      commandMeta(command),
      { consumer: CONSUMER_GROUP, messageId: command.messageId },
    );
  }
}
