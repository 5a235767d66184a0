import { randomUUID } from 'node:crypto';
import type { MessageBus } from '@strata/messaging';
import { commandEnvelope } from '@strata/testing';
import { round, summarize, type LatencySummary } from './stats';

/** What the driver learns from one event on the events topic. */
export interface Outcome {
  readonly causationId: string;
  readonly type: string;
  readonly aggregateId: string;
  /** A rejection's error code, when the event is a CommandRejected. */
  readonly code?: string;
}

const SUCCESS = new Set(['VolumeCreated', 'VolumeDeleted']);
const FAILURE = new Set(['VolumeCreationFailed', 'VolumeDeletionFailed', 'CommandRejected']);

interface Pending {
  readonly kind: 'create' | 'delete';
  readonly sentNs: bigint;
}

export interface RateResult {
  readonly offeredPerSec: number;
  readonly seconds: number;
  readonly sent: number;
  readonly completed: number;
  readonly failed: number;
  readonly missing: number;
  /** Failed outcomes by event type and error code. */
  readonly failures: Record<string, number>;
  /** Outcomes per second from the first command sent to the last outcome seen. */
  readonly throughputPerSec: number;
  readonly create: LatencySummary;
  readonly delete: LatencySummary;
  readonly all: LatencySummary;
}

/**
 * An open-loop driver: CreateVolume commands at half the offered rate, each volume's
 * DeleteVolume sent the moment its VolumeCreated arrives, so the commands offered per
 * second are `rate` in the steady state. Latency is command publish to its outcome event
 * (matched by causationId) read back from the events topic.
 */
export class CommandDriver {
  private readonly pending = new Map<string, Pending>();
  private readonly lat = { create: [] as number[], delete: [] as number[] };
  private completed = 0;
  private failed = 0;
  private failures: Record<string, number> = {};
  private lastOutcomeNs = 0n;
  private publishes: Promise<void>[] = [];

  constructor(
    private readonly bus: MessageBus,
    private readonly commandTopic: string,
    private readonly poolId: string,
    private readonly sizeBytes: number,
  ) {}

  /** Feed every event read from the events topic here. */
  onEvent(outcome: Outcome): void {
    const p = this.pending.get(outcome.causationId);
    if (!p) return;
    const ok = SUCCESS.has(outcome.type);
    if (!ok && !FAILURE.has(outcome.type)) return; // an intent event: not the outcome yet
    const now = process.hrtime.bigint();
    this.pending.delete(outcome.causationId);
    this.lat[p.kind].push(Number(now - p.sentNs) / 1e6);
    this.lastOutcomeNs = now;
    if (ok) this.completed += 1;
    else {
      this.failed += 1;
      const key = outcome.code ? `${outcome.type}:${outcome.code}` : outcome.type;
      this.failures[key] = (this.failures[key] ?? 0) + 1;
    }
    if (ok && p.kind === 'create') this.send([this.command('DeleteVolume', outcome.aggregateId, {}, 'delete')]);
  }

  private command(type: string, volumeId: string, data: unknown, kind: Pending['kind']) {
    const messageId = randomUUID();
    return { messageId, volumeId, value: JSON.stringify(commandEnvelope(type, volumeId, data, { messageId })), kind };
  }

  private send(batch: { messageId: string; volumeId: string; value: string; kind: Pending['kind'] }[]): void {
    if (batch.length === 0) return;
    const sentNs = process.hrtime.bigint();
    for (const c of batch) this.pending.set(c.messageId, { kind: c.kind, sentNs });
    this.publishes.push(this.bus.publish(batch.map((c) => ({ topic: this.commandTopic, key: c.volumeId, value: c.value }))));
  }

  private create(n: number): void {
    const batch = [];
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      batch.push(this.command('CreateVolume', id, { name: `bench-${id.slice(0, 8)}`, poolId: this.poolId, sizeBytes: this.sizeBytes }, 'create'));
    }
    this.send(batch);
  }

  private reset(): void {
    this.pending.clear();
    this.lat.create = [];
    this.lat.delete = [];
    this.completed = 0;
    this.failed = 0;
    this.failures = {};
    this.lastOutcomeNs = 0n;
    this.publishes = [];
  }

  /** `count` creates (and their deletes), waited for: the consumers joined and warm. */
  async warmUp(count: number, timeoutMs: number): Promise<void> {
    this.reset();
    this.create(count);
    await this.drain(timeoutMs);
    if (this.completed < count * 2) throw new Error(`warm-up: ${this.completed} of ${count * 2} outcomes (${this.failed} failed ${JSON.stringify(this.failures)}, ${this.pending.size} missing) within ${timeoutMs} ms`);
    this.reset();
  }

  /**
   * Waits for every outcome, while they keep coming: gives up after `idleMs` without one (the
   * rest are reported missing) or `maxMs` in all. A backlog is drained before the next rate
   * starts, so one rate's queue does not inflate the next one's figures.
   */
  private async drain(idleMs: number, maxMs = 10 * 60_000): Promise<void> {
    const deadline = Date.now() + maxMs;
    let seen = -1;
    let progressAt = Date.now();
    while (this.pending.size > 0 && Date.now() < deadline && Date.now() - progressAt < idleMs) {
      const done = this.completed + this.failed;
      if (done !== seen) {
        seen = done;
        progressAt = Date.now();
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(this.publishes);
  }

  async runRate(ratePerSec: number, seconds: number, idleMs: number): Promise<RateResult> {
    this.reset();
    const createsPerSec = ratePerSec / 2;
    const startNs = process.hrtime.bigint();
    const endMs = seconds * 1000;
    let created = 0;
    for (;;) {
      const elapsedMs = Number(process.hrtime.bigint() - startNs) / 1e6;
      if (elapsedMs >= endMs) break;
      const due = Math.floor((elapsedMs / 1000) * createsPerSec) - created;
      if (due > 0) {
        this.create(due);
        created += due;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const wanted = Math.floor(seconds * createsPerSec);
    if (wanted > created) {
      this.create(wanted - created);
      created = wanted;
    }
    await this.drain(idleMs);
    const sent = created + this.lat.delete.length + [...this.pending.values()].filter((p) => p.kind === 'delete').length;
    const spanMs = this.lastOutcomeNs > 0n ? Number(this.lastOutcomeNs - startNs) / 1e6 : Number.NaN;
    return {
      offeredPerSec: ratePerSec,
      seconds,
      sent,
      completed: this.completed,
      failed: this.failed,
      missing: this.pending.size,
      failures: this.failures,
      throughputPerSec: round((this.completed + this.failed) / (spanMs / 1000), 1),
      create: summarize(this.lat.create),
      delete: summarize(this.lat.delete),
      all: summarize([...this.lat.create, ...this.lat.delete]),
    };
  }
}
