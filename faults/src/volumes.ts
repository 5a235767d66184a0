import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { commandEnvelope } from '@strata/testing';
import type { Observer, ObservedEvent } from './observer';
import { outcomeRows, outcomesByCommand, tallyOutcomes } from './outcomes';
import type { Plan } from './plan';
import type { FaultPool } from './pools';
import type { Publisher } from './publisher';
import type { CheckResult, Row } from './report';
import type { CommandStream } from './stream';

const SIZE = 4 * 2 ** 20;
const OUTCOMES = new Set(['VolumeCreated', 'VolumeCreationFailed', 'VolumeDeleted', 'VolumeDeletionFailed', 'CommandRejected']);
const TRANSITIONAL = new Set(['allocated', 'creating', 'deleting', 'resizing', 'migrating']);
/** A volume's status after each of its events (the storage service's own fold, reduced to what the run sends). */
const FOLD: Record<string, string> = {
  VolumeCreationRequested: 'creating',
  VolumeCreated: 'ready',
  VolumeCreationFailed: 'error',
  VolumeDeletionRequested: 'deleting',
  VolumeDeleted: 'deleted',
  VolumeDeletionFailed: 'error',
};

interface Sent {
  readonly kind: 'create' | 'delete';
  readonly volumeId: string;
}

export interface RunPool {
  readonly id: string;
  readonly pool: FaultPool;
}

/**
 * CreateVolume at the offered rate on the run's pools (the plan picks the pool); each volume
 * the plan marks is deleted once its VolumeCreated is seen, so some stay and no pool is empty.
 */
export class VolumeStream implements CommandStream {
  readonly name = 'volumes';
  private readonly sent = new Map<string, Sent>();
  private readonly poolOfVolume = new Map<string, number>();
  private readonly indexOfVolume = new Map<string, number>();
  private readonly deleteAsked = new Set<string>();
  private created = 0;
  private cursor = 0;

  constructor(
    private readonly deps: {
      readonly plan: Plan;
      readonly rate: number;
      readonly pools: readonly RunPool[];
      readonly publisher: Publisher;
      readonly observer: Observer;
      readonly commandsTopic: string;
      readonly eventsTopic: string;
      /** The storage service's database (its events are in storage.events). */
      readonly databaseUrl: string;
    },
  ) {}

  /** Volume ids this stream created, by final status on the topic (for other streams: snapshots need ready volumes). */
  readyVolumes(): { volumeId: string; poolId: string }[] {
    const out: { volumeId: string; poolId: string }[] = [];
    for (const [id, status] of this.statusOnTopic()) {
      const p = this.poolOfVolume.get(id);
      if (status === 'ready' && p !== undefined) out.push({ volumeId: id, poolId: this.deps.pools[p]!.id });
    }
    return out;
  }

  /** Ready volumes the plan does not delete: safe for other streams to build on (snapshots). */
  keptVolumes(): { volumeId: string; poolId: string }[] {
    return this.readyVolumes().filter(({ volumeId }) => !this.deps.plan.deleteAfterCreate(this.indexOfVolume.get(volumeId) ?? 0));
  }

  tick(elapsedMs: number): void {
    const due = Math.floor((elapsedMs / 1000) * this.deps.rate) - this.created;
    for (let i = 0; i < due; i++) {
      const index = this.created++;
      const volumeId = randomUUID();
      const messageId = randomUUID();
      const p = this.deps.plan.poolOf(index, this.deps.pools.length);
      this.poolOfVolume.set(volumeId, p);
      this.indexOfVolume.set(volumeId, index);
      this.sent.set(messageId, { kind: 'create', volumeId });
      this.publish('CreateVolume', volumeId, { name: `f-${volumeId.slice(0, 8)}`, poolId: this.deps.pools[p]!.id, sizeBytes: SIZE }, messageId);
    }
  }

  react(): void {
    const events = this.deps.observer.events;
    for (; this.cursor < events.length; this.cursor++) {
      const e = events[this.cursor]!;
      if (e.topic !== this.deps.eventsTopic || e.type !== 'VolumeCreated' || this.deleteAsked.has(e.aggregateId)) continue;
      const s = e.causationId ? this.sent.get(e.causationId) : undefined;
      if (!s || s.kind !== 'create') continue;
      this.deleteAsked.add(e.aggregateId);
      if (!this.deps.plan.deleteAfterCreate(this.indexOfVolume.get(e.aggregateId) ?? 0)) continue;
      const messageId = randomUUID();
      this.sent.set(messageId, { kind: 'delete', volumeId: e.aggregateId });
      this.publish('DeleteVolume', e.aggregateId, {}, messageId);
    }
  }

  settled(): boolean {
    const outcomes = this.outcomes();
    return this.cursor === this.deps.observer.events.length && [...this.sent.keys()].every((id) => outcomes.has(id));
  }

  summary(): string {
    return `${this.created} creates, ${this.sent.size - this.created} deletes, ${this.outcomes().size} outcomes`;
  }

  private publish(type: string, volumeId: string, data: unknown, messageId: string): void {
    this.deps.publisher.send(this.deps.commandsTopic, volumeId, JSON.stringify(commandEnvelope(type, volumeId, data, { messageId })));
  }

  private outcomes(): Map<string, ObservedEvent[]> {
    return outcomesByCommand(this.deps.observer.events, this.deps.eventsTopic, OUTCOMES, this.sent);
  }

  /** Each of this stream's volumes, folded from its events on the topic (one key, one partition: in order). */
  private statusOnTopic(): Map<string, string> {
    const status = new Map<string, string>();
    const seen = new Set<string>();
    for (const e of this.deps.observer.events) {
      if (e.topic !== this.deps.eventsTopic || seen.has(e.messageId) || !this.poolOfVolume.has(e.aggregateId)) continue;
      seen.add(e.messageId);
      const next = FOLD[e.type];
      if (next) status.set(e.aggregateId, next);
    }
    return status;
  }

  async check(): Promise<CheckResult[]> {
    return [this.checkOutcomes(), await this.checkStates(), ...(await Promise.all(this.deps.pools.map((p, i) => this.checkPool(p, i))))];
  }

  private checkOutcomes(): CheckResult {
    const t = tallyOutcomes(this.sent, this.outcomes(), (c, id) => `${c.kind} ${id} (volume ${c.volumeId})`);
    const kinds = [...this.sent.values()];
    const rows: Row[] = [
      { name: 'commands sent (distinct messageIds, each published twice)', value: this.sent.size },
      { name: '  CreateVolume', value: kinds.filter((s) => s.kind === 'create').length },
      { name: '  DeleteVolume', value: kinds.filter((s) => s.kind === 'delete').length },
      ...outcomeRows(t),
    ];
    return { title: 'volume commands (storage service)', rows, samples: t.samples };
  }

  private async checkStates(): Promise<CheckResult> {
    const status = this.statusOnTopic();
    // The same fold over the service's own log: the topic must say what the log says (an event
    // in the log but never relayed shows up here).
    const db = new Client({ connectionString: this.deps.databaseUrl });
    await db.connect();
    const logged = new Map<string, string>();
    try {
      const { rows } = await db.query<{ stream_id: string; type: string }>(
        `SELECT stream_id, type FROM storage.events WHERE stream_id LIKE 'volume-%' ORDER BY stream_id, stream_version`,
      );
      for (const r of rows) {
        const id = r.stream_id.slice('volume-'.length);
        const next = FOLD[r.type];
        if (next && this.poolOfVolume.has(id)) logged.set(id, next);
      }
    } finally {
      await db.end();
    }
    const samples: string[] = [];
    const disagree = [...new Set([...status.keys(), ...logged.keys()])].filter((id) => status.get(id) !== logged.get(id));
    for (const id of disagree) samples.push(`volume ${id}: ${status.get(id) ?? 'absent'} on the topic, ${logged.get(id) ?? 'absent'} in storage.events`);
    const byStatus: Record<string, number> = {};
    for (const s of status.values()) byStatus[s] = (byStatus[s] ?? 0) + 1;
    const transitional = [...status].filter(([, s]) => TRANSITIONAL.has(s));
    for (const [id, s] of transitional) samples.push(`volume ${id} left ${s}`);
    return {
      title: 'volume states',
      rows: [
        { name: 'volumes by final status', value: JSON.stringify(byStatus) },
        { name: 'volumes in a transitional state', value: transitional.length, violation: transitional.length > 0 },
        { name: 'volumes whose status on the topic differs from storage.events', value: disagree.length, violation: disagree.length > 0 },
      ],
      samples,
    };
  }

  /** The pool's objects against its ready volumes: no object without a volume, no volume without its object. */
  private async checkPool(runPool: RunPool, index: number): Promise<CheckResult> {
    const status = this.statusOnTopic();
    const mine = [...status].filter(([id]) => this.poolOfVolume.get(id) === index);
    const live = new Set(mine.filter(([, s]) => s === 'ready').map(([id]) => id));
    // A volume that ended in error may or may not have left its object: left out of both counts.
    const errored = new Set(mine.filter(([, s]) => s === 'error').map(([id]) => id));
    const objects = await runPool.pool.objects();
    const scratch = await runPool.pool.scratch();
    const perVolume = new Map<string, number>();
    const orphans: string[] = [];
    for (const o of objects) {
      if (!o.volumeId || !status.has(o.volumeId)) {
        orphans.push(o.name);
        continue;
      }
      perVolume.set(o.volumeId, (perVolume.get(o.volumeId) ?? 0) + 1);
    }
    for (const [id, n] of perVolume) {
      if (!live.has(id) && !errored.has(id)) orphans.push(`${id} (${status.get(id)})`);
      else if (n > 1) orphans.push(`${id} (${n} objects)`);
    }
    const missing = [...live].filter((id) => !perVolume.has(id));
    const label = runPool.pool.label;
    return {
      title: `pool ${label} (${runPool.id})`,
      rows: [
        { name: `objects on the ${label} backend`, value: objects.length },
        { name: 'ready volumes on it', value: live.size },
        { name: 'volumes in error on it (left out)', value: errored.size },
        { name: 'driver scratch left by kills (not checked)', value: scratch.length },
        { name: 'backend objects without a live volume (orphans)', value: orphans.length, violation: orphans.length > 0 },
        { name: 'live volumes without a backend object', value: missing.length, violation: missing.length > 0 },
      ],
      samples: [...orphans.map((o) => `orphan backend object ${o}`), ...missing.map((m) => `ready volume ${m} has no backend object`)],
    };
  }
}
