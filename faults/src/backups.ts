import { randomUUID } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { commandEnvelope, eventually } from '@strata/testing';
import type { Observer, ObservedEvent } from './observer';
import type { Publisher } from './publisher';
import { stream as seededStream } from './random';
import type { CheckResult, Row } from './report';
import type { CommandStream } from './stream';

const FINAL = new Set(['BackupCompleted', 'BackupFailed']);

/**
 * Backups of kept volumes to a directory target while the run goes on: each one a process
 * across three services (snapshot, temporary clone, attach to the backup host, data, detach,
 * cleanup, release; apps/backup-service/src/backups/README.md), so a kill of any of them lands
 * in the middle of one. At most one backup per volume at a time (a second would only be refused).
 */
export class BackupStream implements CommandStream {
  readonly name = 'backups';
  /** CreateBackup messageId -> backup id and volume. */
  private readonly sent = new Map<string, { backupId: string; volumeId: string }>();
  private readonly busy = new Set<string>();
  private readonly random: () => number;
  private started = 0;
  private targetId = '';

  constructor(
    private readonly deps: {
      readonly seed: number;
      /** Backups started per second. */
      readonly rate: number;
      readonly publisher: Publisher;
      readonly observer: Observer;
      readonly storageCommands: string;
      readonly backupCommands: string;
      readonly backupEvents: string;
      readonly hostId: string;
      readonly zoneId: string;
      readonly targetDir: string;
      /** Ready volumes nobody deletes during the run. */
      readonly candidates: () => { volumeId: string; poolId: string }[];
      /** The backup service's database (its events are in backup.events). */
      readonly databaseUrl: string;
    },
  ) {
    this.random = seededStream(deps.seed, 'backups');
  }

  /** The backup host (this machine, as the backup service was told) and the directory target, before the faults start. */
  async setUp(): Promise<void> {
    const { publisher, observer } = this.deps;
    const hostCommand = randomUUID();
    publisher.send(
      this.deps.storageCommands,
      this.deps.hostId,
      JSON.stringify(commandEnvelope('RegisterHost', this.deps.hostId, { name: 'faults-backup-host', zoneId: this.deps.zoneId, hypervisor: 'kvm', identities: { storpoolClientId: 1 } }, { messageId: hostCommand, tenant: null })),
    );
    const host = await eventually('RegisterHost', async () => observer.causedBy(hostCommand), 60_000);
    if (host.type !== 'HostRegistered') throw new Error(`RegisterHost was answered ${host.type}: ${JSON.stringify(host.data)}`);
    await mkdir(this.deps.targetDir, { recursive: true });
    this.targetId = randomUUID();
    const targetCommand = randomUUID();
    publisher.send(
      this.deps.backupCommands,
      this.targetId,
      JSON.stringify(commandEnvelope('AddBackupTarget', this.targetId, { name: 'faults-target', kind: 'directory', directory: { path: this.deps.targetDir } }, { messageId: targetCommand, tenant: null })),
    );
    const added = await eventually('AddBackupTarget', async () => observer.causedBy(targetCommand), 60_000);
    if (added.type !== 'BackupTargetAdded') throw new Error(`AddBackupTarget was answered ${added.type}: ${JSON.stringify(added.data)}`);
  }

  tick(elapsedMs: number): void {
    if (!this.targetId) return;
    const due = Math.floor((elapsedMs / 1000) * this.deps.rate) - this.started;
    if (due <= 0) return;
    const finals = this.finals();
    for (const v of [...this.busy]) {
      const done = [...this.sent.values()].filter((s) => s.volumeId === v).every((s) => finals.has(s.backupId) || this.rejected(s.backupId));
      if (done) this.busy.delete(v);
    }
    const free = this.deps.candidates().filter((c) => !this.busy.has(c.volumeId));
    // Counted as started even when no volume is free yet, so a slow start does not burst later.
    this.started += due;
    for (let i = 0; i < due && free.length > 0; i++) {
      const [pick] = free.splice(Math.floor(this.random() * free.length), 1);
      const backupId = randomUUID();
      const messageId = randomUUID();
      this.busy.add(pick!.volumeId);
      this.sent.set(messageId, { backupId, volumeId: pick!.volumeId });
      this.deps.publisher.send(this.deps.backupCommands, backupId, JSON.stringify(commandEnvelope('CreateBackup', backupId, { volumeId: pick!.volumeId, targetId: this.targetId }, { messageId })));
    }
  }

  react(): void {}

  settled(): boolean {
    const finals = this.finals();
    return [...this.sent].every(([messageId, s]) => finals.has(s.backupId) || this.rejectionOf(messageId) !== undefined);
  }

  summary(): string {
    return `${this.sent.size} backups asked, ${this.finals().size} ended`;
  }

  private ours(e: ObservedEvent): boolean {
    return e.topic === this.deps.backupEvents;
  }

  /** Final events by backup id (several distinct ones would be a violation). */
  private finals(): Map<string, ObservedEvent[]> {
    const m = new Map<string, ObservedEvent[]>();
    for (const e of this.deps.observer.events) if (this.ours(e) && FINAL.has(e.type)) m.set(e.aggregateId, [...(m.get(e.aggregateId) ?? []), e]);
    return m;
  }

  private rejectionOf(messageId: string): ObservedEvent | undefined {
    return this.deps.observer.events.find((e) => this.ours(e) && e.type === 'CommandRejected' && e.causationId === messageId);
  }

  private rejected(backupId: string): boolean {
    return [...this.sent].some(([m, s]) => s.backupId === backupId && this.rejectionOf(m) !== undefined);
  }

  async check(): Promise<CheckResult[]> {
    const finals = this.finals();
    let completed = 0;
    let failed = 0;
    let rejected = 0;
    let missing = 0;
    let doubled = 0;
    const failures: Record<string, number> = {};
    const samples: string[] = [];
    const completedIds = new Set<string>();
    for (const [messageId, s] of this.sent) {
      const rejection = this.rejectionOf(messageId);
      const distinct = new Map((finals.get(s.backupId) ?? []).map((e) => [e.messageId, e]));
      if (rejection) {
        rejected++;
        const code = (rejection.data as { error?: { code?: string } } | undefined)?.error?.code ?? '?';
        failures[`CommandRejected:${code}`] = (failures[`CommandRejected:${code}`] ?? 0) + 1;
        if (distinct.size > 0) {
          doubled++;
          samples.push(`backup ${s.backupId} was rejected and also ended ${[...distinct.values()][0]!.type}`);
        }
        continue;
      }
      if (distinct.size === 0) {
        missing++;
        samples.push(`backup ${s.backupId} (volume ${s.volumeId}) never ended`);
        continue;
      }
      if (distinct.size > 1) {
        doubled++;
        samples.push(`backup ${s.backupId} ended ${distinct.size} times: ${[...distinct.values()].map((e) => e.type).join(', ')}`);
      }
      const first = [...distinct.values()][0]!;
      if (first.type === 'BackupCompleted') {
        completed++;
        completedIds.add(s.backupId);
      } else {
        failed++;
        const code = (first.data as { error?: { code?: string } } | undefined)?.error?.code ?? '?';
        failures[`BackupFailed:${code}`] = (failures[`BackupFailed:${code}`] ?? 0) + 1;
      }
    }

    // The backup service's own log against the topic: the same final state per backup.
    const db = new Client({ connectionString: this.deps.databaseUrl });
    await db.connect();
    const logged = new Map<string, string>();
    try {
      const { rows } = await db.query<{ stream_id: string; type: string }>(
        `SELECT stream_id, type FROM backup.events WHERE stream_id LIKE 'backup-%' ORDER BY stream_id, stream_version`,
      );
      for (const r of rows) logged.set(r.stream_id.slice('backup-'.length), r.type);
    } finally {
      await db.end();
    }
    const ourIds = new Set([...this.sent.values()].map((s) => s.backupId));
    const disagree = [...ourIds].filter((id) => {
      const onTopic = [...(finals.get(id) ?? [])][0]?.type;
      const last = logged.get(id);
      return onTopic !== undefined ? last !== onTopic : last !== undefined && FINAL.has(last);
    });
    for (const id of disagree) samples.push(`backup ${id}: ${[...(finals.get(id) ?? [])][0]?.type ?? 'no end'} on the topic, last event ${logged.get(id) ?? 'none'} in backup.events`);

    // The target: one manifest per completed backup, none for the others.
    let manifests: string[] = [];
    try {
      manifests = (await readdir(path.join(this.deps.targetDir, 'manifests'))).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
    } catch {
      manifests = [];
    }
    const strayManifests = manifests.filter((id) => !completedIds.has(id));
    const missingManifests = [...completedIds].filter((id) => !manifests.includes(id));
    for (const id of strayManifests) samples.push(`manifest ${id} on the target, but that backup did not complete`);
    for (const id of missingManifests) samples.push(`backup ${id} completed without its manifest on the target`);

    // Every CreateBackup named a volume ready on the topic before it was sent and never deleted:
    // a lagging view of the storage events is the backup service's to wait for, not a refusal.
    const wronglyRefused = failures['CommandRejected:backup.volume_not_found'] ?? 0;
    const rows: Row[] = [
      { name: 'CreateBackup commands sent (each published twice)', value: this.sent.size },
      { name: 'completed', value: completed },
      { name: 'failed (BackupFailed) or rejected', value: `${failed} / ${rejected}` },
      { name: 'failures by type:code', value: JSON.stringify(failures) },
      { name: 'CreateBackup of a ready volume refused as unknown', value: wronglyRefused, violation: wronglyRefused > 0 },
      { name: 'backups that never ended', value: missing, violation: missing > 0 },
      { name: 'backups that ended more than once', value: doubled, violation: doubled > 0 },
      { name: 'backups whose end on the topic differs from backup.events', value: disagree.length, violation: disagree.length > 0 },
      { name: 'manifests on the target without a completed backup', value: strayManifests.length, violation: strayManifests.length > 0 },
      { name: 'completed backups without a manifest', value: missingManifests.length, violation: missingManifests.length > 0 },
    ];
    return [{ title: 'backups (backup service; snapshot, clone, attach, data, cleanup, release)', rows, samples }];
  }
}
