/**
 * The versioned envelope every Kafka message travels in, commands and events alike.
 * `messageId` is the command id (and so the job id) for commands, the event id for events.
 */
export interface Envelope<TType extends string = string, TData = unknown> {
  readonly messageId: string;
  readonly kind: MessageKind;
  readonly type: TType;
  readonly schemaVersion: number;
  /** The aggregate the message is about; also the Kafka key, so one aggregate stays ordered. */
  readonly aggregateId: string;
  /** Version of the event in its stream (1-based); null for commands. */
  readonly streamVersion: number | null;
  readonly occurredAt: string;
  /** Shared by everything one original request caused. */
  readonly correlationId: string;
  /** The message that directly caused this one; null for an original command. */
  readonly causationId: string | null;
  /** Owner of the resource; null for operator-level resources such as pools. */
  readonly tenant: string | null;
  readonly data: TData;
}

export type MessageKind = 'command' | 'event';

export const ENVELOPE_SCHEMA_VERSION = 1;
