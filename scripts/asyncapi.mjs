#!/usr/bin/env node
// Generates docs/asyncapi.yaml (AsyncAPI 3.0) from libs/contracts, so the document follows the
// code instead of being kept in step by hand:
//   node scripts/asyncapi.mjs            write docs/asyncapi.yaml
//   node scripts/asyncapi.mjs --check    exit 1 when docs/asyncapi.yaml differs from what it would write
// Needs `npm run build` first: topic names, partitions, retention, command type lists and job
// effects are read from the built contracts (libs/contracts/dist), the payload shapes from the
// TypeScript sources with the compiler API. Event payloads are interfaces, which exist only as
// types, and command payloads are classes whose class-validator rules are not plain JSON Schema;
// both become schemas of field names, types, optionality and doc comments. The validation rules
// (lengths, ranges, formats) stay in the classes and in docs/messaging.md.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import ts from 'typescript';
import { stringify } from 'yaml';
import { REPO_ROOT } from './lib/infra.mjs';

const require = createRequire(import.meta.url);
const contracts = require(path.join(REPO_ROOT, 'libs/contracts/dist/index.js'));
const SRC = path.join(REPO_ROOT, 'libs/contracts/src');
const OUT = path.join(REPO_ROOT, 'docs/asyncapi.yaml');

// Which source declares each topic's messages. Event files without a *EventDataMap list
// their events as exported interfaces, minus the helper types named here. Forgetting one
// fails libs/contracts/src/asyncapi.unit.spec.ts for every event that moves a job.
const AREAS = [
  // The export events are declared beside StorageEventDataMap, not in it.
  { area: 'storage', commands: 'StorageCommandDataMap', events: { file: 'storage/events.ts', map: 'StorageEventDataMap', also: ['VolumeExportRequested', 'VolumeExported', 'VolumeExportFailed'] }, consumer: 'storage-service' },
  { area: 'snapshot', commands: 'SnapshotCommandDataMap', events: { file: 'snapshot/events.ts', map: 'SnapshotEventDataMap' }, consumer: 'snapshot-service' },
  { area: 'image', commands: 'ImageCommandDataMap', events: { file: 'image/events.ts', notEvents: ['Checksum'] }, consumer: 'image-service' },
  { area: 'backup', commands: 'BackupCommandDataMap', events: { file: 'backup/events.ts', notEvents: [] }, consumer: 'backup-service' },
];

const program = ts.createProgram([path.join(SRC, 'index.ts')], {
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  experimentalDecorators: true,
  strict: true,
  skipLibCheck: true,
});
const checker = program.getTypeChecker();

function sourceFile(rel) {
  const file = program.getSourceFile(path.join(SRC, rel));
  if (!file) throw new Error(`libs/contracts/src/${rel} not found`);
  return file;
}

function exportedInterfaces(rel) {
  return sourceFile(rel).statements.filter((s) => ts.isInterfaceDeclaration(s) && s.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword));
}

/** The properties of an interface in any contracts file: name -> type. */
function mapEntries(interfaceName) {
  for (const file of program.getSourceFiles().filter((f) => f.fileName.startsWith(SRC))) {
    for (const s of file.statements) {
      if (ts.isInterfaceDeclaration(s) && s.name.text === interfaceName) {
        const type = checker.getTypeAtLocation(s.name);
        return checker.getPropertiesOfType(type).map((p) => [p.name, checker.getTypeOfSymbolAtLocation(p, s)]);
      }
    }
  }
  throw new Error(`interface ${interfaceName} not found in libs/contracts/src`);
}

function doc(symbol) {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).replace(/\s+/g, ' ').trim();
}

/** A JSON Schema (AsyncAPI schema) of a TypeScript type: types, literals, arrays, objects; depth-capped. */
function schemaOf(type, depth = 0) {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
  if (type.isUnion()) {
    const parts = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
    const literals = parts.filter((t) => t.isStringLiteral() || t.isNumberLiteral());
    const nullable = parts.some((t) => t.flags & ts.TypeFlags.Null);
    const rest = parts.filter((t) => !(t.flags & ts.TypeFlags.Null) && !literals.includes(t));
    // true | false is TypeScript's boolean.
    if (rest.length > 0 && rest.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) {
      return nullable ? { type: ['boolean', 'null'] } : { type: 'boolean' };
    }
    const options = [];
    if (literals.length) options.push({ enum: literals.map((t) => t.value) });
    for (const t of rest) options.push(schemaOf(t, depth));
    if (nullable) options.push({ type: 'null' });
    return options.length === 1 ? options[0] : { oneOf: options };
  }
  if (type.isStringLiteral() || type.isNumberLiteral()) return { const: type.value };
  if (type.flags & ts.TypeFlags.StringLike) return { type: 'string' };
  if (type.flags & ts.TypeFlags.NumberLike) return { type: 'number' };
  if (type.flags & ts.TypeFlags.BooleanLike) return { type: 'boolean' };
  if (type.flags & ts.TypeFlags.Null) return { type: 'null' };
  if (checker.isArrayType(type) || checker.isTupleType(type)) {
    const [item] = checker.getTypeArguments(type);
    return { type: 'array', items: item ? schemaOf(item, depth + 1) : {} };
  }
  if (type.flags & ts.TypeFlags.Object) return objectSchema(type, depth);
  return {};
}

function objectSchema(type, depth) {
  const props = checker.getPropertiesOfType(type);
  const index = checker.getIndexInfosOfType(type)[0];
  if (depth > 4 || (props.length === 0 && !index)) return { type: 'object' };
  const properties = {};
  const required = [];
  for (const prop of props) {
    const decl = prop.valueDeclaration ?? prop.declarations?.[0];
    const propType = decl ? checker.getTypeOfSymbolAtLocation(prop, decl) : checker.getTypeOfSymbol(prop);
    const schema = schemaOf(propType, depth + 1);
    const description = doc(prop);
    properties[prop.name] = description ? { description, ...schema } : schema;
    if (!(prop.flags & ts.SymbolFlags.Optional)) required.push(prop.name);
  }
  const out = { type: 'object', properties };
  if (required.length) out.required = required;
  if (index) out.additionalProperties = schemaOf(index.type, depth + 1);
  return out;
}

/** A command's data refuses unknown fields (class-validator forbidNonWhitelisted). */
function closed(schema) {
  return schema.type === 'object' ? { ...schema, additionalProperties: false } : schema;
}

function eventEntries(events) {
  if (events.map) {
    const extra = exportedInterfaces(events.file)
      .filter((s) => (events.also ?? []).includes(s.name.text))
      .map((s) => [s.name.text, checker.getTypeAtLocation(s.name)]);
    if (extra.length !== (events.also ?? []).length) throw new Error(`${events.file}: not all of ${events.also.join(', ')} found`);
    return [...mapEntries(events.map), ...extra];
  }
  return exportedInterfaces(events.file)
    .filter((s) => !events.notEvents.includes(s.name.text))
    .map((s) => [s.name.text, checker.getTypeAtLocation(s.name)]);
}

// ---- the document ------------------------------------------------------------------------

const { TopicNames, TopicDefaults, jobEffectOf } = contracts;
const messages = {};
const channels = {};
const operations = {};

function addMessage(name, kind, dataType, summaryExtra = '') {
  if (messages[name]) return;
  const effect = kind === 'event' ? jobEffectOf(name) : undefined;
  messages[name] = {
    name,
    title: name,
    summary: `${kind === 'command' ? 'Command' : 'Event'} ${name}${summaryExtra}`,
    ...(kind === 'event' ? { description: effect ? `Moves the job of the command that caused it to ${effect}.` : 'Moves no job.' } : {}),
    contentType: 'application/json',
    bindings: { kafka: { key: { type: 'string', description: 'The aggregate id (envelope aggregateId).' }, bindingVersion: '0.5.0' } },
    payload: {
      allOf: [
        { $ref: '#/components/schemas/Envelope' },
        {
          type: 'object',
          properties: { kind: { const: kind }, type: { const: name }, data: kind === 'command' ? closed(schemaOf(dataType)) : schemaOf(dataType) },
        },
      ],
    },
  };
}

function channel(key, topicKey, description, messageNames) {
  const defaults = TopicDefaults[topicKey];
  channels[key] = {
    address: `{prefix}${TopicNames[topicKey]}`,
    title: TopicNames[topicKey],
    description: `${description} Created by the services at start: ${defaults.partitions} partition(s), retention ${defaults.retentionMs === -1 ? 'forever (retention.ms -1)' : `${defaults.retentionMs / 3_600_000} h`}.`,
    parameters: { prefix: { $ref: '#/components/parameters/prefix' } },
    messages: Object.fromEntries(messageNames.map((m) => [m, { $ref: `#/components/messages/${m}` }])),
    bindings: {
      kafka: {
        topic: TopicNames[topicKey],
        partitions: defaults.partitions,
        topicConfiguration: { 'retention.ms': defaults.retentionMs, 'cleanup.policy': ['delete'] },
        bindingVersion: '0.5.0',
      },
    },
  };
}

for (const { area, commands, events, consumer } of AREAS) {
  const commandEntries = mapEntries(commands);
  for (const [name, type] of commandEntries) addMessage(name, 'command', type);
  const eventList = eventEntries(events);
  for (const [name, type] of eventList) addMessage(name, 'event', type);
  // Every service answers a refused command on its own events topic.
  if (!eventList.some(([name]) => name === 'CommandRejected')) addMessage('CommandRejected', 'event', mapEntries('StorageEventDataMap').find(([n]) => n === 'CommandRejected')[1]);
  const eventNames = [...new Set([...eventList.map(([n]) => n), 'CommandRejected'])];
  const commandsKey = `${area}Commands`;
  const eventsKey = `${area}Events`;
  channel(commandsKey, commandsKey, `Commands to the ${consumer} (consumer group \`${consumer}\`), keyed by aggregate id. Sent by cloud platforms and by the orchestrator through its outbox.`, commandEntries.map(([n]) => n));
  channel(eventsKey, eventsKey, `Events of the ${consumer}, published through its transactional outbox, keyed by aggregate id (in order per aggregate).`, eventNames);
  operations[`${consumer}-receives-commands`] = {
    action: 'receive',
    channel: { $ref: `#/channels/${commandsKey}` },
    summary: `The ${consumer} handles its commands (inbox dedupe by messageId).`,
  };
  operations[`${consumer}-sends-events`] = {
    action: 'send',
    channel: { $ref: `#/channels/${eventsKey}` },
    summary: `The ${consumer} publishes its events through the outbox relay.`,
  };
}

channels.deadLetter = {
  address: `{prefix}${TopicNames.deadLetter}`,
  title: TopicNames.deadLetter,
  description:
    `Bytes a consumer could not read as an envelope with a messageId, copied with their original key and value; origin and reason in the headers strata-dlq-topic, strata-dlq-partition, strata-dlq-offset, strata-dlq-reason, strata-dlq-consumer-group, strata-dlq-failed-at. ` +
    `Created by the services at start: ${TopicDefaults.deadLetter.partitions} partition, retention ${TopicDefaults.deadLetter.retentionMs / 86_400_000} days.`,
  parameters: { prefix: { $ref: '#/components/parameters/prefix' } },
  messages: { DeadLetter: { $ref: '#/components/messages/DeadLetter' } },
  bindings: {
    kafka: {
      topic: TopicNames.deadLetter,
      partitions: TopicDefaults.deadLetter.partitions,
      topicConfiguration: { 'retention.ms': TopicDefaults.deadLetter.retentionMs, 'cleanup.policy': ['delete'] },
      bindingVersion: '0.5.0',
    },
  },
};
messages.DeadLetter = {
  name: 'DeadLetter',
  title: 'DeadLetter',
  summary: 'An unreadable message, unchanged.',
  contentType: 'application/octet-stream',
  headers: {
    type: 'object',
    properties: Object.fromEntries(
      ['strata-dlq-topic', 'strata-dlq-partition', 'strata-dlq-offset', 'strata-dlq-reason', 'strata-dlq-consumer-group', 'strata-dlq-failed-at'].map((h) => [h, { type: 'string' }]),
    ),
  },
  payload: { description: 'The original value bytes (often not JSON at all).' },
};
operations['consumers-send-dead-letters'] = {
  action: 'send',
  channel: { $ref: '#/channels/deadLetter' },
  summary: 'Any consumer copies an unreadable message here, then commits its offset.',
};

const envelope = {
  type: 'object',
  description: 'Envelope schema version 1; every command and event travels in it (libs/contracts/src/envelope.ts).',
  required: ['messageId', 'kind', 'type', 'schemaVersion', 'aggregateId', 'streamVersion', 'occurredAt', 'correlationId', 'causationId', 'tenant', 'data'],
  properties: {
    messageId: { type: 'string', format: 'uuid', description: 'Unique per message; for a command also the job id (inbox dedupe).' },
    kind: { type: 'string', enum: ['command', 'event'] },
    type: { type: 'string', description: 'The message type, e.g. CreateVolume, VolumeCreated.' },
    schemaVersion: { type: 'integer', minimum: 1, description: 'Version of the data schema of this type.' },
    aggregateId: { type: 'string', format: 'uuid', description: 'The aggregate the message is about; also the Kafka key.' },
    streamVersion: { type: ['integer', 'null'], minimum: 1, description: "The event's position in its stream (1-based); null for commands." },
    occurredAt: { type: 'string', format: 'date-time' },
    correlationId: { type: 'string', description: 'Shared by everything one original request caused.' },
    causationId: { type: ['string', 'null'], description: 'The message that caused this one (events name their command, the job).' },
    tenant: { type: ['string', 'null'], description: 'Owner of the resource; null for operator resources.' },
    data: { type: 'object', description: 'The payload, per type.' },
  },
};

const document = {
  asyncapi: '3.0.0',
  info: {
    title: 'Strata messaging',
    version: '1.0.0',
    description: [
      'The Kafka topics of Strata and every command and event on them. Generated by `node scripts/asyncapi.mjs` from libs/contracts (do not edit by hand); `libs/contracts/src/asyncapi.unit.spec.ts` validates it and checks that every command type and every event that moves a job is here.',
      '',
      'Topic names may carry a deployment prefix (`STRATA_TOPIC_PREFIX`, letters, digits, `._-`; empty by default), which also prefixes every consumer group id: the `prefix` parameter of every channel address.',
      '',
      "Payload schemas give each `data` field's name, type and optionality as declared in TypeScript (event payloads are interfaces, command payloads class-validator classes). They are not the validation rules: lengths, ranges, formats and cross-field rules are in the command classes (checked at every edge) and described in docs/messaging.md. `data` of a command is refused if it carries unknown fields.",
    ].join('\n'),
  },
  defaultContentType: 'application/json',
  servers: {
    compose: { host: 'kafka:9092', protocol: 'kafka', description: 'The broker of docker-compose.yml.' },
    local: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'The broker `npm start` finds or starts.' },
  },
  channels,
  operations,
  components: {
    parameters: {
      prefix: { description: 'The deployment topic prefix (STRATA_TOPIC_PREFIX), empty by default.', default: '', examples: ['', 'prod-'] },
    },
    schemas: { Envelope: envelope },
    messages,
  },
};

const text = `# Generated by scripts/asyncapi.mjs from libs/contracts: do not edit by hand.\n${stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })}`;
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(OUT, 'utf8');
  } catch {
    // missing: differs
  }
  if (current !== text) {
    console.error('docs/asyncapi.yaml is out of date: run `node scripts/asyncapi.mjs`');
    process.exit(1);
  }
  console.log('docs/asyncapi.yaml is up to date');
} else {
  writeFileSync(OUT, text);
  console.log(`wrote ${path.relative(REPO_ROOT, OUT)}: ${Object.keys(channels).length} channels, ${Object.keys(messages).length} messages`);
}
