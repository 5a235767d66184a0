import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Parser } from '@asyncapi/parser';
import { parse as parseYaml } from 'yaml';
import { BACKUP_COMMAND_TYPES, IMAGE_COMMAND_TYPES, JOB_EVENT_TYPES, SNAPSHOT_COMMAND_TYPES, STORAGE_COMMAND_TYPES, TopicDefaults, TopicNames, type TopicKey } from './index';

// docs/asyncapi.yaml is generated (scripts/asyncapi.mjs); this keeps it valid and keeps it from
// silently falling behind the contracts: a new command or job-moving event fails here until the
// document is generated again.

const ROOT = path.resolve(__dirname, '..', '..', '..');
const text = readFileSync(path.join(ROOT, 'docs', 'asyncapi.yaml'), 'utf8');

interface Doc {
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }>; bindings?: { kafka?: { topic: string; partitions: number; topicConfiguration?: Record<string, unknown> } } }>;
  components: { messages: Record<string, unknown> };
}
const doc = parseYaml(text) as Doc;

const jobEventTypes = (): readonly string[] => JOB_EVENT_TYPES;

function channelMessages(topicKey: TopicKey): string[] {
  const channel = doc.channels[topicKey];
  return channel ? Object.keys(channel.messages) : [];
}

describe('docs/asyncapi.yaml', () => {
  it('is a valid AsyncAPI document (no errors or warnings from @asyncapi/parser)', async () => {
    const diagnostics = await new Parser().validate(text);
    // Severity 0 is an error, 1 a warning; 2 and 3 are hints (e.g. "a newer version exists").
    const problems = diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.path.join('.')}: ${d.message} (${d.code})`);
    expect(problems).toEqual([]);
  });

  it('describes every topic with its partitions and retention, the prefix in the address', () => {
    for (const key of Object.keys(TopicNames) as TopicKey[]) {
      const channel = doc.channels[key];
      expect({ key, address: channel?.address }).toEqual({ key, address: `{prefix}${TopicNames[key]}` });
      expect(channel?.bindings?.kafka?.partitions).toBe(TopicDefaults[key].partitions);
      expect(channel?.bindings?.kafka?.topicConfiguration?.['retention.ms']).toBe(TopicDefaults[key].retentionMs);
    }
  });

  it.each([
    ['storageCommands', STORAGE_COMMAND_TYPES],
    ['snapshotCommands', SNAPSHOT_COMMAND_TYPES],
    ['imageCommands', IMAGE_COMMAND_TYPES],
    ['backupCommands', BACKUP_COMMAND_TYPES],
  ] as [TopicKey, readonly string[]][])('has every command type of %s as a message of that channel', (topicKey, types) => {
    const inChannel = channelMessages(topicKey);
    expect(types.filter((t) => !inChannel.includes(t))).toEqual([]);
    expect(types.filter((t) => !doc.components.messages[t])).toEqual([]);
  });

  it('has every event that moves a job as a message of an events channel', () => {
    const jobEvents = jobEventTypes();
    expect(jobEvents.length).toBeGreaterThan(50);
    const onEventTopics = new Set((['storageEvents', 'snapshotEvents', 'imageEvents', 'backupEvents'] as TopicKey[]).flatMap(channelMessages));
    expect(jobEvents.filter((t) => !onEventTopics.has(t))).toEqual([]);
  });

  it('refers only to messages it defines', () => {
    const dangling = Object.entries(doc.channels).flatMap(([key, channel]) =>
      Object.values(channel.messages)
        .map((m) => m.$ref.replace('#/components/messages/', ''))
        .filter((name) => !doc.components.messages[name])
        .map((name) => `${key}: ${name}`),
    );
    expect(dangling).toEqual([]);
  });
});
