/**
 * Kafka topic names. A deployment may prefix all of them (STRATA_TOPIC_PREFIX) so that
 * several installations, or test runs, share one cluster without seeing each other.
 */
export const TopicNames = {
  storageCommands: 'strata.storage.commands',
  storageEvents: 'strata.storage.events',
  deadLetter: 'strata.dead-letter',
} as const;
export type TopicKey = keyof typeof TopicNames;

export function topicName(key: TopicKey, prefix = ''): string {
  return `${prefix}${TopicNames[key]}`;
}

export type Topics = { readonly [K in TopicKey]: string };

export function topics(prefix = ''): Topics {
  const out = {} as Record<TopicKey, string>;
  for (const key of Object.keys(TopicNames) as TopicKey[]) out[key] = topicName(key, prefix);
  return out;
}
