import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MetricsRegistry } from '@strata/service-kit';
import { Counter, Gauge } from 'prom-client';
import { ProjectionProgress } from '../../projection/application/projection-progress';
import { GenerationStore } from '../../projection/infrastructure/generation.store';
import { ProjectionLag } from './projection-lag';

/**
 * The projection's own view on /metrics (the generic per-group consumer lag is service-kit's):
 * - strata_projection_lag_messages{topic}: end offsets minus the projection group's committed offsets, on scrape;
 * - strata_projection_lag_seconds{topic}: for the last event applied from the topic, how long after its
 *   occurredAt it was applied. A delay, not an age: an idle projection that kept up stays near 0;
 * - strata_read_model_rebuilding: 1 while a rebuild runs (read_model_state, on scrape);
 * - strata_read_model_rebuild_events_total: events this instance replayed in rebuilds.
 */
@Injectable()
export class ProjectionMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly progress: ProjectionProgress,
    private readonly lag: ProjectionLag,
    private readonly generations: GenerationStore,
  ) {}

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    const lag = this.lag;
    const generations = this.generations;
    new Gauge({
      name: 'strata_projection_lag_messages',
      help: 'Messages on each event topic the read model projection has not consumed yet (end offsets minus its committed offsets)',
      labelNames: ['topic'],
      registers,
      async collect() {
        this.reset();
        try {
          for (const [topic, n] of Object.entries(await lag.byTopic())) this.set({ topic }, n);
        } catch {
          // Kafka did not answer: no series rather than a wrong 0.
        }
      },
    });
    const delay = new Gauge({
      name: 'strata_projection_lag_seconds',
      help: "For the last event the projection applied from each topic: seconds from the event's occurredAt to its projection",
      labelNames: ['topic'],
      registers,
    });
    new Gauge({
      name: 'strata_read_model_rebuilding',
      help: '1 while the read models are being rebuilt from the event topics, else 0',
      registers,
      async collect() {
        try {
          this.set((await generations.current()).state === 'rebuilding' ? 1 : 0);
        } catch {
          this.set(Number.NaN);
        }
      },
    });
    const replayed = new Counter({
      name: 'strata_read_model_rebuild_events_total',
      help: 'Events this instance replayed into the read models during rebuilds',
      registers,
    });
    this.progress.onApplied((event) => {
      delay.set({ topic: event.topic }, Math.max(0, event.delaySeconds));
      if (event.replayed) replayed.inc();
    });
  }
}
