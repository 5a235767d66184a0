import { ApiProperty } from '@nestjs/swagger';
import type { ReadModelsStatus } from '../application/read-models-status.query';

export class ReadModelsView {
  @ApiProperty({ enum: ['live', 'rebuilding'], description: 'rebuilding: reads may be incomplete until the replay has caught up' })
  state!: 'live' | 'rebuilding';
  @ApiProperty({ description: 'Which rebuild the read models come from (0: never rebuilt)' }) generation!: number;
  @ApiProperty({ type: String, nullable: true, description: 'The last rebuild\'s job (GET /jobs/{id})' }) jobId!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the last rebuild started' }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the last rebuild finished; null while one runs' }) finishedAt!: string | null;
  @ApiProperty({ description: 'Events the last rebuild replays: the topics up to their end offsets when it started' }) eventsToReplay!: number;
  @ApiProperty({ description: 'Of those, replayed so far' }) eventsReplayed!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Messages on the event topics not projected yet (null: Kafka did not answer)' })
  lagMessages!: number | null;
}

export class RebuildAccepted {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}: progress is the percent of events replayed' })
  jobId!: string;
}

export function toReadModelsView(status: ReadModelsStatus): ReadModelsView {
  return {
    state: status.state,
    generation: status.generation,
    jobId: status.jobId,
    startedAt: status.startedAt?.toISOString() ?? null,
    finishedAt: status.finishedAt?.toISOString() ?? null,
    eventsToReplay: status.eventsToReplay,
    eventsReplayed: status.eventsReplayed,
    lagMessages: status.lagMessages,
  };
}
