/**
 * Kafka topic names. A deployment may prefix all of them (STRATA_TOPIC_PREFIX) so that
 * several installations, or test runs, share one cluster without seeing each other.
 */
export const TopicNames = {
  storageCommands: 'strata.storage.commands',
  storageEvents: 'strata.storage.events',
  snapshotCommands: 'strata.snapshot.commands',
  snapshotEvents: 'strata.snapshot.events',
  imageCommands: 'strata.image.commands',
  imageEvents: 'strata.image.events',
  backupCommands: 'strata.backup.commands',
  backupEvents: 'strata.backup.events',
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

/**
 * Partitions and retention of each topic, applied when a service creates it. Events are
 * kept forever (retention -1): read models can be rebuilt from them. Commands are only
 * needed until handled; dead letters until an operator has looked.
 */
export const TopicDefaults: { readonly [K in TopicKey]: { readonly partitions: number; readonly retentionMs: number } } = {
  storageCommands: { partitions: 6, retentionMs: 7 * 24 * 3600 * 1000 },
  storageEvents: { partitions: 6, retentionMs: -1 },
  snapshotCommands: { partitions: 6, retentionMs: 7 * 24 * 3600 * 1000 },
  snapshotEvents: { partitions: 6, retentionMs: -1 },
  imageCommands: { partitions: 6, retentionMs: 7 * 24 * 3600 * 1000 },
  imageEvents: { partitions: 6, retentionMs: -1 },
  backupCommands: { partitions: 6, retentionMs: 7 * 24 * 3600 * 1000 },
  backupEvents: { partitions: 6, retentionMs: -1 },
  deadLetter: { partitions: 1, retentionMs: 30 * 24 * 3600 * 1000 },
};
