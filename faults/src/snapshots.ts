import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { commandEnvelope } from '@strata/testing';
import type { Observer, ObservedEvent } from './observer';
import { outcomeRows, outcomesByCommand, tallyOutcomes } from './outcomes';
import type { Publisher } from './publisher';
import { stream } from './random';
import type { CheckResult, Row } from './report';
import type { CommandStream } from './stream';
import type { RunPool, VolumeStream } from './volumes';

const OUTCOMES = new Set(['SnapshotCreated', 'SnapshotCreationFailed', 'SnapshotDeleted', 'SnapshotDeletionFailed', 'CommandRejected']);
const TRANSITIONAL = new Set(['creating', 'deleting', 'reverting']);
/** A snapshot's status after each of its events (the snapshot decider's evolve, reduced to status). */
const FOLD: Record<string, string> = {
  SnapshotRequested: 'creating',
  SnapshotCreated: 'ready',
  SnapshotCreationFailed: 'error',
  SnapshotDeletionRequested: 'deleting',
  SnapshotDeleted: 'deleted',
  SnapshotDeletionFailed: 'error',
  SnapshotRevertRequested: 'reverting',
  SnapshotReverted: 'ready',
  SnapshotRevertFailed: 'ready',
};
/** The file driver keeps snapshots at `<pool>/.snapshots/<volume backend name>/<snapshot backend name>.raw`. */
const SNAPSHOTS_DIR = '.snapshots';
const SNAPSHOT_SUFFIX = '.raw';
/**
 * Refusals a CreateSnapshot of this run must not get: its volume was ready on the storage events
 * topic before the command was sent, and nothing else happens to a kept volume.
 */
const WRONG_REFUSALS = new Set(['snapshot.volume_not_found', 'snapshot.volume_not_ready']);

interface Sent {
  readonly kind: 'create' | 'delete';
  readonly snapshotId: string;
}

/**
 * CreateSnapshot of the volumes the volume stream keeps (a volume with snapshots may refuse
 * DeleteVolume, so the ones the plan deletes are left alone), at the given rate; each snapshot
 * the seeded generator marks is deleted again once its SnapshotCreated is seen.
 */
export class SnapshotStream implements CommandStream {
  readonly name = 'snapshots';
  private readonly sent = new Map<string, Sent>();
  /** Per snapshot id: the volume it was asked of, and whether it is to be deleted once created. */
  private readonly snapshots = new Map<string, { volumeId: string; poolId: string; deleteAfter: boolean }>();
  private readonly deleteAsked = new Set<string>();
  private readonly random: () => number;
  private created = 0;
  /** Slots that passed before any kept volume was ready. */
  private skipped = 0;
  private cursor = 0;

  constructor(
    private readonly deps: {
      readonly seed: number;
      /** CreateSnapshot commands per second. */
      readonly rate: number;
      readonly volumes: VolumeStream;
      readonly pools: readonly RunPool[];
      readonly publisher: Publisher;
      readonly observer: Observer;
      readonly commandsTopic: string;
      readonly eventsTopic: string;
      /** The snapshot service's database (its events are in snapshot.events). */
      readonly databaseUrl: string;
    },
  ) {
    this.random = stream(deps.seed, 'snapshots');
  }

  tick(elapsedMs: number): void {
    // Right after its VolumeCreated: the snapshot service's view of the storage events may not
    // have it yet, and must still answer as the topic says (see WRONG_REFUSALS). Sorted so that
    // the seeded draw picks the same volume from the same set.
    const candidates = this.deps.volumes.keptVolumes().sort((a, b) => a.volumeId.localeCompare(b.volumeId));
    const due = Math.floor((elapsedMs / 1000) * this.deps.rate) - this.created - this.skipped;
    // Nothing to snapshot yet: the slots pass (rather than pile up into a burst on the first volume).
    if (candidates.length === 0) {
      this.skipped += Math.max(0, due);
      return;
    }
    for (let i = 0; i < due; i++) {
      this.created++;
      const volume = candidates[Math.floor(this.random() * candidates.length)]!;
      const deleteAfter = this.random() < 0.5;
      const snapshotId = randomUUID();
      const messageId = randomUUID();
      this.snapshots.set(snapshotId, { volumeId: volume.volumeId, poolId: volume.poolId, deleteAfter });
      this.sent.set(messageId, { kind: 'create', snapshotId });
      this.publish('CreateSnapshot', snapshotId, { volumeId: volume.volumeId, name: `f-${snapshotId.slice(0, 8)}` }, messageId);
    }
  }

  react(): void {
    const events = this.deps.observer.events;
    for (; this.cursor < events.length; this.cursor++) {
      const e = events[this.cursor]!;
      if (e.topic !== this.deps.eventsTopic || e.type !== 'SnapshotCreated' || this.deleteAsked.has(e.aggregateId)) continue;
      const s = e.causationId ? this.sent.get(e.causationId) : undefined;
      if (!s || s.kind !== 'create') continue;
      this.deleteAsked.add(e.aggregateId);
      if (!this.snapshots.get(e.aggregateId)?.deleteAfter) continue;
      const messageId = randomUUID();
      this.sent.set(messageId, { kind: 'delete', snapshotId: e.aggregateId });
      this.publish('DeleteSnapshot', e.aggregateId, {}, messageId);
    }
  }

  settled(): boolean {
    const outcomes = this.outcomes();
    return this.cursor === this.deps.observer.events.length && [...this.sent.keys()].every((id) => outcomes.has(id));
  }

  summary(): string {
    return `${this.created} creates, ${this.sent.size - this.created} deletes, ${this.outcomes().size} outcomes`;
  }

  private publish(type: string, snapshotId: string, data: unknown, messageId: string): void {
    this.deps.publisher.send(this.deps.commandsTopic, snapshotId, JSON.stringify(commandEnvelope(type, snapshotId, data, { messageId })));
  }

  private outcomes(): Map<string, ObservedEvent[]> {
    return outcomesByCommand(this.deps.observer.events, this.deps.eventsTopic, OUTCOMES, this.sent);
  }

  /** This stream's events on the topic, each once (a relay may publish one twice), in arrival order. */
  private topicEvents(): ObservedEvent[] {
    const seen = new Set<string>();
    const out: ObservedEvent[] = [];
    for (const e of this.deps.observer.events) {
      if (e.topic !== this.deps.eventsTopic || seen.has(e.messageId)) continue;
      if (!this.snapshots.has(e.aggregateId) && !(e.causationId && this.sent.has(e.causationId))) continue;
      seen.add(e.messageId);
      out.push(e);
    }
    return out;
  }

  /** Each snapshot's status folded from its events on the topic (one key, one partition: in order), and its backend names. */
  private foldTopic(): Map<string, { status: string; poolId?: string; volumeBackendName?: string; backendName?: string }> {
    const out = new Map<string, { status: string; poolId?: string; volumeBackendName?: string; backendName?: string }>();
    for (const e of this.topicEvents()) {
      const next = FOLD[e.type];
      if (!next || !this.snapshots.has(e.aggregateId)) continue;
      const prev = out.get(e.aggregateId);
      const d = e.type === 'SnapshotRequested' ? (e.data as { poolId: string; volumeBackendName: string; backendName: string }) : undefined;
      out.set(e.aggregateId, {
        ...prev,
        status: next,
        ...(d ? { poolId: d.poolId, volumeBackendName: d.volumeBackendName, backendName: d.backendName } : {}),
      });
    }
    return out;
  }

  async check(): Promise<CheckResult[]> {
    return [this.checkOutcomes(), await this.checkStates(), ...(await this.checkPools())];
  }

  private checkOutcomes(): CheckResult {
    let wronglyRefused = 0;
    const refusedSamples: string[] = [];
    const t = tallyOutcomes(
      this.sent,
      this.outcomes(),
      (c, id) => `${c.kind} ${id} (snapshot ${c.snapshotId})`,
      (c, id, key, code) => {
        if (c.kind !== 'create' || !code || !WRONG_REFUSALS.has(code)) return;
        wronglyRefused++;
        refusedSamples.push(`CreateSnapshot ${id} of ready volume ${this.snapshots.get(c.snapshotId)?.volumeId} answered ${key}`);
      },
    );
    const kinds = [...this.sent.values()];
    const rows: Row[] = [
      { name: 'commands sent (distinct messageIds, each published twice)', value: this.sent.size },
      { name: '  CreateSnapshot', value: kinds.filter((s) => s.kind === 'create').length },
      { name: '  DeleteSnapshot', value: kinds.filter((s) => s.kind === 'delete').length },
      { name: 'snapshot slots passed with no kept volume ready yet', value: this.skipped },
      { name: 'volumes snapshotted (kept volumes only)', value: new Set([...this.snapshots.values()].map((s) => s.volumeId)).size },
      { name: 'CreateSnapshot of a ready volume refused as unknown or not ready', value: wronglyRefused, violation: wronglyRefused > 0 },
      ...outcomeRows(t),
    ];
    return { title: 'snapshot commands (snapshot service)', rows, samples: [...refusedSamples, ...t.samples] };
  }

  /** Final states, and the topic against the service's own log (snapshot.events): the same events, the same statuses. */
  private async checkStates(): Promise<CheckResult> {
    const onTopic = this.foldTopic();
    const topicIds = new Set(this.topicEvents().map((e) => e.messageId));
    const db = new Client({ connectionString: this.deps.databaseUrl });
    await db.connect();
    const logged = new Map<string, string>();
    const logIds = new Set<string>();
    try {
      // The snapshots' streams, and the rejections of this stream's commands (stream command-<id>).
      const { rows } = await db.query<{ stream_id: string; type: string; message_id: string }>(
        `SELECT stream_id, type, message_id FROM snapshot.events
          WHERE stream_id = ANY($1::text[]) OR stream_id = ANY($2::text[])
          ORDER BY stream_id, stream_version`,
        [[...this.snapshots.keys()].map((id) => `snapshot-${id}`), [...this.sent.keys()].map((id) => `command-${id}`)],
      );
      for (const r of rows) {
        logIds.add(r.message_id);
        const next = FOLD[r.type];
        if (next && r.stream_id.startsWith('snapshot-')) logged.set(r.stream_id.slice('snapshot-'.length), next);
      }
    } finally {
      await db.end();
    }
    const samples: string[] = [];
    const disagree = [...new Set([...onTopic.keys(), ...logged.keys()])].filter((id) => onTopic.get(id)?.status !== logged.get(id));
    for (const id of disagree) samples.push(`snapshot ${id}: ${onTopic.get(id)?.status ?? 'absent'} on the topic, ${logged.get(id) ?? 'absent'} in snapshot.events`);
    const notRelayed = [...logIds].filter((id) => !topicIds.has(id));
    const notLogged = [...topicIds].filter((id) => !logIds.has(id));
    for (const id of notRelayed.slice(0, 3)) samples.push(`event ${id} is in snapshot.events but never reached the topic`);
    for (const id of notLogged.slice(0, 3)) samples.push(`event ${id} is on the topic but not in snapshot.events`);
    const byStatus: Record<string, number> = {};
    for (const s of onTopic.values()) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
    const transitional = [...onTopic].filter(([, s]) => TRANSITIONAL.has(s.status));
    for (const [id, s] of transitional) samples.push(`snapshot ${id} left ${s.status}`);
    return {
      title: 'snapshot states',
      rows: [
        { name: 'snapshots by final status', value: JSON.stringify(byStatus) },
        { name: 'snapshots in a transitional state', value: transitional.length, violation: transitional.length > 0 },
        { name: 'snapshots whose status on the topic differs from snapshot.events', value: disagree.length, violation: disagree.length > 0 },
        { name: 'events in snapshot.events never relayed to the topic', value: notRelayed.length, violation: notRelayed.length > 0 },
        { name: 'events on the topic missing from snapshot.events', value: notLogged.length, violation: notLogged.length > 0 },
      ],
      samples,
    };
  }

  /** Each file pool's snapshot files against the ready snapshots on it: no file without a snapshot, none missing. */
  private async checkPools(): Promise<CheckResult[]> {
    const onTopic = this.foldTopic();
    const out: CheckResult[] = [];
    for (const runPool of this.deps.pools) {
      const { plugin, config } = runPool.pool.addData;
      // Only the file driver's layout is known here; other backends are not checked for snapshots.
      if (plugin !== 'file' || typeof config.path !== 'string') continue;
      const files = await snapshotFiles(config.path);
      const mine = [...onTopic].filter(([, s]) => s.poolId === runPool.id);
      const key = (s: { volumeBackendName?: string; backendName?: string }) => `${s.volumeBackendName}/${s.backendName}`;
      const live = new Map(mine.filter(([, s]) => s.status === 'ready').map(([id, s]) => [key(s), id]));
      // A snapshot that ended in error may or may not have left its file: left out of both counts.
      const errored = new Set(mine.filter(([, s]) => s.status === 'error').map(([, s]) => key(s)));
      const present = new Set(files.snapshots);
      const orphans = files.snapshots.filter((f) => !live.has(f) && !errored.has(f));
      const missing = [...live].filter(([f]) => !present.has(f)).map(([f, id]) => `${id} (${f})`);
      out.push({
        title: `snapshot files on pool ${runPool.pool.label} (${runPool.id})`,
        rows: [
          { name: `snapshot files under ${SNAPSHOTS_DIR}/`, value: files.snapshots.length },
          { name: 'ready snapshots on the pool', value: live.size },
          { name: 'snapshots in error on it (left out)', value: errored.size },
          { name: 'driver scratch in snapshot directories (not checked)', value: files.scratch.length },
          { name: 'snapshot files without a ready snapshot (orphans)', value: orphans.length, violation: orphans.length > 0 },
          { name: 'ready snapshots without a file', value: missing.length, violation: missing.length > 0 },
        ],
        samples: [...orphans.map((o) => `orphan snapshot file ${o}`), ...missing.map((m) => `ready snapshot ${m} has no file`)],
      });
    }
    return out;
  }
}

/** `<volume>/<snapshot>` of every snapshot data file in a file pool, and the driver's dot-named scratch beside them. */
async function snapshotFiles(poolDir: string): Promise<{ snapshots: string[]; scratch: string[] }> {
  const root = path.join(poolDir, SNAPSHOTS_DIR);
  const snapshots: string[] = [];
  const scratch: string[] = [];
  let volumes: Dirent[];
  try {
    volumes = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { snapshots, scratch };
    throw error;
  }
  for (const entry of volumes) {
    // One directory per volume; anything else there is no snapshot (counted, not checked).
    if (!entry.isDirectory()) {
      scratch.push(entry.name);
      continue;
    }
    const volume = entry.name;
    for (const file of await readdir(path.join(root, volume))) {
      if (file.startsWith('.')) scratch.push(`${volume}/${file}`);
      else if (file.endsWith(SNAPSHOT_SUFFIX)) snapshots.push(`${volume}/${file.slice(0, -SNAPSHOT_SUFFIX.length)}`);
    }
  }
  return { snapshots, scratch };
}
