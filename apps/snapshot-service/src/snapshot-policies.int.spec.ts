import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Envelope } from '@strata/contracts';
import { AggregateRunner, Clock } from '@strata/service-kit';
import { eventually } from '@strata/testing';
import { SnapshotPolicies } from './policies/application/snapshot-policies';
import { policyDecider, policyStreamId, type PolicyCommand } from './policies/domain/policy';
import { runId } from '@strata/scheduling';
import { startSnapshotHarness, type SnapshotHarness, type TestVolume } from './testing/snapshot-harness.spec';

/** The service's clock, set by the test: policies are judged against it. */
class ManualClock extends Clock {
  constructor(private current: Date) {
    super();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(iso: string): void {
    this.current = new Date(iso);
  }
}

/**
 * Snapshot policies on a real file pool, the clock driven by the test: each due run is
 * taken once, a restart neither skips nor repeats one (downtime yields one catch-up run,
 * not one per missed slot; a run recorded before a crash gets its snapshot after it), and
 * retention keeps the newest by due instant across a daylight-saving change.
 */
describe('snapshot policies', () => {
  const clock = new ManualClock(new Date('2026-03-28T00:00:00Z'));
  let h: SnapshotHarness;
  let dir: string;

  const requestedFor = (policyId: string) =>
    h.events.filter((e) => e.type === 'SnapshotRequested' && (e.data as { policyId: string | null }).policyId === policyId);
  const dueTimes = (policyId: string) => requestedFor(policyId).map((e) => (e.data as { dueAt: string }).dueAt);
  async function policy(volume: TestVolume, schedule: Record<string, unknown>, retention: number): Promise<string> {
    const policyId = randomUUID();
    const created = await h.outcome(await h.send('CreateSnapshotPolicy', policyId, { volumeId: volume.volumeId, schedule, retention }));
    expect(created).toMatchObject({ type: 'SnapshotPolicyCreated', data: { policyId, retention } });
    return policyId;
  }
  const tick = () => h.app.get(SnapshotPolicies).tick();
  const snapshotFiles = async (volume: TestVolume) =>
    (await readdir(path.join(dir, '.snapshots', volume.backendName)).catch(() => [] as string[])).filter((f) => f.endsWith('.raw'));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'strata-policies-'));
    h = await startSnapshotHarness('policies', { clock });
  });

  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a bad schedule, naming each field', async () => {
    const pool = await h.addPool('file', { path: dir });
    const volume = await h.createVolume(pool, 2 ** 20);
    const rejected = await h.outcome(
      await h.send('CreateSnapshotPolicy', randomUUID(), { volumeId: volume.volumeId, schedule: { kind: 'weekly', dayOfWeek: 9, time: '7:60', timeZone: 'Europe/Nowhere' }, retention: 2 }),
    );
    expect(rejected).toMatchObject({ type: 'CommandRejected', data: { error: { code: 'policy.invalid_schedule' } } });
    const fields = (rejected as Envelope<string, { violations: { field: string }[] }>).data.violations.map((v) => v.field);
    expect(fields).toEqual(expect.arrayContaining(['data.schedule.dayOfWeek', 'data.schedule.time', 'data.schedule.timeZone']));
  });

  it('takes each due run once, and after downtime only the newest missed one', async () => {
    clock.set('2026-03-28T00:00:00Z');
    const pool = await h.addPool('file', { path: dir });
    const volume = await h.createVolume(pool, 2 ** 20);
    const policyId = await policy(volume, { kind: 'hourly', minute: 15, timeZone: 'Europe/Berlin' }, 10);

    clock.set('2026-03-28T01:16:00Z');
    expect(await tick()).toBe(1);
    await eventually('the first run', async () => (requestedFor(policyId).length === 1 ? true : undefined));
    expect(dueTimes(policyId)).toEqual(['2026-03-28T01:15:00.000Z']);
    const first = requestedFor(policyId)[0];
    expect(first.aggregateId).toBe(runId(policyId, new Date('2026-03-28T01:15:00Z')));
    await eventually('its snapshot', async () => h.events.find((e) => e.type === 'SnapshotCreated' && e.aggregateId === first.aggregateId));
    // The same slot again, from a second pass: nothing.
    expect(await tick()).toBe(0);

    // Down for five hours (five slots pass), then started again: the start itself takes the newest slot, once.
    clock.set('2026-03-28T06:20:00Z');
    await h.restart();
    await eventually('the catch-up run', async () => (requestedFor(policyId).length === 2 ? true : undefined));
    await tick();
    await tick();
    expect(dueTimes(policyId)).toEqual(['2026-03-28T01:15:00.000Z', '2026-03-28T06:15:00.000Z']);
  });

  it('asks after a restart for the snapshot of a run recorded just before a crash, exactly once', async () => {
    clock.set('2026-04-01T00:00:00Z');
    const pool = await h.addPool('file', { path: dir });
    const volume = await h.createVolume(pool, 2 ** 20);
    const policyId = await policy(volume, { kind: 'daily', time: '08:00', timeZone: 'UTC' }, 5);
    clock.set('2026-04-01T08:00:30Z');
    // The crash: the run is recorded on the policy, the snapshot never asked for.
    const meta = { causationId: `policy:${policyId}`, correlationId: policyId, tenant: null };
    await h.app.get(AggregateRunner).execute(policyDecider, policyStreamId(policyId), policyId, (): PolicyCommand => ({ type: 'TakeDueRun', now: clock.now() }), meta);
    expect(requestedFor(policyId)).toHaveLength(0);

    await h.restart();
    await eventually('the run after the restart', async () => (requestedFor(policyId).length === 1 ? true : undefined));
    const snapshotId = runId(policyId, new Date('2026-04-01T08:00:00Z'));
    expect(requestedFor(policyId)[0].aggregateId).toBe(snapshotId);
    await eventually('its snapshot', async () => h.events.find((e) => e.type === 'SnapshotCreated' && e.aggregateId === snapshotId));
    await tick();
    expect(requestedFor(policyId)).toHaveLength(1);
  });

  it('keeps the newest runs by due instant across the night clocks go back', async () => {
    // Berlin leaves summer time on 25 October 2026 at 01:00 UTC: local 02:30 happens twice.
    clock.set('2026-10-24T21:00:00Z');
    const pool = await h.addPool('file', { path: dir });
    const volume = await h.createVolume(pool, 2 ** 20);
    const policyId = await policy(volume, { kind: 'hourly', minute: 30, timeZone: 'Europe/Berlin' }, 3);
    const hours = ['2026-10-24T22:31:00Z', '2026-10-24T23:31:00Z', '2026-10-25T00:31:00Z', '2026-10-25T01:31:00Z', '2026-10-25T02:31:00Z', '2026-10-25T03:31:00Z'];
    for (const hour of hours) {
      clock.set(hour);
      await tick();
    }
    // One run per real hour: 00:30, 01:30, 02:30 CEST, 02:30 CET, 03:30, 04:30 local.
    await eventually('six runs', async () => (requestedFor(policyId).length === 6 ? true : undefined));
    expect(dueTimes(policyId)).toEqual(hours.map((h) => h.replace(':31:00Z', ':30:00.000Z')));
    const ids = requestedFor(policyId).map((e) => e.aggregateId as string);
    // The three oldest went, the first 02:30 (summer time) among them; the second 02:30 (winter time) stays.
    await eventually('retention', async () => (ids.slice(0, 3).every((id) => h.events.some((e) => e.type === 'SnapshotDeleted' && e.aggregateId === id)) ? true : undefined));
    expect(h.events.filter((e) => e.type === 'SnapshotDeleted' && ids.slice(3).includes(e.aggregateId as string))).toEqual([]);
    expect(await snapshotFiles(volume)).toHaveLength(3);
  });
});
