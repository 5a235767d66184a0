import { ApiProperty } from '@nestjs/swagger';
import type { Envelope } from '@strata/contracts';

/** An event envelope exactly as the storage service published it. */
export class EventView {
  @ApiProperty({ format: 'uuid' }) messageId!: string;
  @ApiProperty({ example: 'event' }) kind!: string;
  @ApiProperty({ example: 'VolumeCreated' }) type!: string;
  @ApiProperty() schemaVersion!: number;
  @ApiProperty({ format: 'uuid' }) aggregateId!: string;
  @ApiProperty() streamVersion!: number;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty() correlationId!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The command (job) that caused it' }) causationId!: string | null;
  @ApiProperty({ type: String, nullable: true }) tenant!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;
}

export class EventHistoryView {
  @ApiProperty({ type: [EventView], description: 'In stream order' })
  items!: EventView[];
}

/** The envelopes go out untouched: the history shows exactly what was published. */
export function toEventHistory(envelopes: readonly Envelope[]): EventHistoryView {
  return { items: envelopes.map((e) => e as unknown as EventView) };
}
