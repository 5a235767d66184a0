import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { crashPoint, IdGenerator, intervalSetting, Periodic, type CommandMeta } from '@strata/service-kit';
import { TemplateSources } from '../../templates/application/template-sources';
import { BasesStore, type BaseRow } from '../infrastructure/bases.store';
import { BaseDecisions } from './base-decisions';

/** How often blocked retirements (volumes still cloned from the base) are tried again, and finished spools of deleted templates retired. */
const SWEEP_MS = intervalSetting('STRATA_BASE_RETIREMENT_SWEEP_MS', 60_000, 10);

/**
 * Retirement of a template's cached bases once the template is deleted: each base's
 * volume (with its snapshot) is deleted through the storage service, which refuses while
 * volumes are cloned from it (volume.has_clones): the base is then blocked, and a periodic
 * sweep asks again with a new command. A base still spooling when its template goes is
 * retired once its spool ends (by the outcome handling, and by the sweep should that be
 * interrupted).
 */
@Injectable()
export class TemplateBases implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('TemplateBases');
  private readonly sweeper = new Periodic(SWEEP_MS, () => this.sweep());

  constructor(
    private readonly decisions: BaseDecisions,
    private readonly bases: BasesStore,
    private readonly sources: TemplateSources,
    private readonly ids: IdGenerator,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeper.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
  }

  /** Called once a template is deleted: retire its cached base on every pool (when no volume depends on it). */
  async retireBasesOf(templateId: string, meta: CommandMeta): Promise<void> {
    for (const base of await this.bases.basesOfTemplate(templateId)) {
      await this.decisions.execute(base.baseId, { type: 'RetireBase', baseId: base.baseId }, meta);
      // This base's DeleteVolume is committed, the next bases are not asked yet: the sweep must finish them.
      crashPoint('template.after-base-retirement-requested');
    }
  }

  /** After a spool ends: a template deleted meanwhile has its base retired now. */
  async retireIfTemplateGone(baseId: string, meta: CommandMeta): Promise<void> {
    const state = await this.decisions.load(baseId);
    if (state.status !== 'ready' && state.status !== 'failed') return;
    if (await this.templateGone({ baseId, templateId: state.templateId, poolId: state.poolId })) {
      await this.decisions.execute(baseId, { type: 'RetireBase', baseId }, meta);
    }
  }

  /** One pass: blocked retirements again, and finished bases of deleted templates. Errors are logged; the next pass tries again. */
  async sweep(): Promise<void> {
    for (const base of await this.bases.allBases()) {
      try {
        const state = await this.decisions.load(base.baseId);
        const due =
          (state.status === 'retiring' && state.retirementBlocked) ||
          ((state.status === 'ready' || state.status === 'failed') && (await this.templateGone(base)));
        if (!due) continue;
        const id = this.ids.newId();
        await this.decisions.execute(base.baseId, { type: 'RetireBase', baseId: base.baseId }, { causationId: id, correlationId: id, tenant: null });
      } catch (error) {
        this.log.warn(`base ${base.baseId}: retirement sweep failed: ${(error as Error).message}`);
      }
    }
  }

  private async templateGone(base: BaseRow): Promise<boolean> {
    const pool = await this.bases.pool(base.poolId);
    const source = await this.sources.sourceFor(base.templateId, pool?.zoneId ?? '');
    return source.status === 'deleted' || source.status === 'deleting';
  }
}
