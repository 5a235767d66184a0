import type { IncomingMessage, OutgoingMessage } from './ports';

/**
 * A dead letter keeps the original key and bytes untouched as its key and value; where it
 * came from and why it was refused travel in headers, so a tool can replay it verbatim.
 */
export const DeadLetterHeaders = {
  topic: 'strata-dlq-topic',
  partition: 'strata-dlq-partition',
  offset: 'strata-dlq-offset',
  reason: 'strata-dlq-reason',
  consumerGroup: 'strata-dlq-consumer-group',
  failedAt: 'strata-dlq-failed-at',
} as const;

export function deadLetter(
  deadLetterTopic: string,
  message: IncomingMessage,
  reason: string,
  consumerGroup: string,
  failedAt: string,
): OutgoingMessage {
  return {
    topic: deadLetterTopic,
    key: message.key,
    value: message.value ?? Buffer.alloc(0),
    headers: {
      ...message.headers,
      [DeadLetterHeaders.topic]: message.topic,
      [DeadLetterHeaders.partition]: String(message.partition),
      [DeadLetterHeaders.offset]: message.offset,
      [DeadLetterHeaders.reason]: reason.slice(0, 2000),
      [DeadLetterHeaders.consumerGroup]: consumerGroup,
      [DeadLetterHeaders.failedAt]: failedAt,
    },
  };
}
