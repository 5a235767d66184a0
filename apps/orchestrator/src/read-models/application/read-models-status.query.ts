import { Injectable } from '@nestjs/common';
import type { ReadModelState } from '../../projection/domain/generation';
import { GenerationStore } from '../../projection/infrastructure/generation.store';
import { ProjectionLag } from './projection-lag';

export interface ReadModelsStatus {
  readonly state: ReadModelState;
  readonly generation: number;
  readonly jobId: string | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly eventsToReplay: number;
  readonly eventsReplayed: number;
  /** Messages on the event topics the projection has not consumed yet; null when Kafka does not answer. */
  readonly lagMessages: number | null;
}

@Injectable()
export class ReadModelsStatusQuery {
  constructor(
    private readonly generations: GenerationStore,
    private readonly lag: ProjectionLag,
  ) {}

  async execute(): Promise<ReadModelsStatus> {
    const state = await this.generations.current();
    const lagMessages = await this.lag.total().catch(() => null);
    return {
      state: state.state,
      generation: state.generation,
      jobId: state.jobId,
      startedAt: state.startedAt,
      finishedAt: state.finishedAt,
      eventsToReplay: state.eventsToReplay,
      eventsReplayed: state.eventsReplayed,
      lagMessages,
    };
  }
}
