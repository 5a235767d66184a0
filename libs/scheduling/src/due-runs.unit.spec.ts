import { uuidFromName } from '@strata/kernel';
import { dueRun, nextDue, RUN_ID_NAMESPACE, runId } from './due-runs';
import { parseSchedule } from './schedule';

const berlin = 'Europe/Berlin';
const hourly = parseSchedule({ kind: 'hourly', minute: 15, timeZone: berlin });
const daily = parseSchedule({ kind: 'daily', time: '02:30', timeZone: berlin });
const at = (iso: string) => new Date(iso);
const iso = (date: Date | null) => date?.toISOString() ?? null;
const policyId = '5b7d0c1e-2f3a-4b5c-8d6e-7f8091a2b3c4';

describe('nextDue', () => {
  it('is strictly after its reference: a due time given as reference yields the following one', () => {
    expect(iso(nextDue(hourly, at('2024-01-10T09:15:00.000Z')))).toBe('2024-01-10T10:15:00.000Z');
    expect(iso(nextDue(hourly, at('2024-01-10T09:14:59.999Z')))).toBe('2024-01-10T09:15:00.000Z');
  });

  it('returns the earliest of a two-pattern schedule (monthly on the 30th: 30 January, then 29 February)', () => {
    const monthly30 = parseSchedule({ kind: 'monthly', dayOfMonth: 30, time: '00:00', timeZone: 'UTC' });
    expect(iso(nextDue(monthly30, at('2024-01-30T00:00:00Z')))).toBe('2024-02-29T00:00:00.000Z');
  });

  it('refuses an invalid date', () => {
    expect(() => nextDue(hourly, new Date('not a date'))).toThrow('after must be a valid Date');
  });
});

describe('dueRun', () => {
  const createdAt = at('2024-01-10T08:40:00Z'); // 09:40 in Berlin

  it('is null before the first slot after the policy was created', () => {
    expect(dueRun(hourly, null, createdAt, at('2024-01-10T09:14:59Z'))).toBeNull();
  });

  it('takes a slot from the moment it is due (now inclusive)', () => {
    expect(iso(dueRun(hourly, null, createdAt, at('2024-01-10T09:15:00Z')))).toBe('2024-01-10T09:15:00.000Z');
    expect(iso(dueRun(hourly, null, createdAt, at('2024-01-10T09:20:00Z')))).toBe('2024-01-10T09:15:00.000Z');
  });

  it('never takes a slot already taken: after the run is recorded it is null until the next slot', () => {
    const taken = at('2024-01-10T09:15:00Z');
    expect(dueRun(hourly, taken, createdAt, at('2024-01-10T09:15:00Z'))).toBeNull();
    expect(dueRun(hourly, taken, createdAt, at('2024-01-10T10:14:59.999Z'))).toBeNull();
    expect(iso(dueRun(hourly, taken, createdAt, at('2024-01-10T10:15:00Z')))).toBe('2024-01-10T10:15:00.000Z');
  });

  it('after downtime that missed several slots takes exactly one run, the most recent missed slot', () => {
    const lastRun = at('2024-01-10T09:15:00Z');
    // Down from 09:30 to 14:40 UTC: slots 10:15 ... 14:15 were missed.
    const run = dueRun(hourly, lastRun, createdAt, at('2024-01-10T14:40:00Z'));
    expect(iso(run)).toBe('2024-01-10T14:15:00.000Z');
    // Once it is recorded nothing else is due: the older missed slots are not taken one by one.
    expect(dueRun(hourly, run, createdAt, at('2024-01-10T14:40:01Z'))).toBeNull();
  });

  it('does not take a slot from before the policy existed, nor the slot exactly at its creation', () => {
    const created = at('2024-01-10T09:15:00Z');
    expect(dueRun(hourly, null, created, at('2024-01-10T09:50:00Z'))).toBeNull();
    // A run recorded before a later creation time (e.g. a re-created policy) does not widen the window.
    expect(dueRun(hourly, at('2024-01-09T00:15:00Z'), created, at('2024-01-10T09:50:00Z'))).toBeNull();
  });

  it('is null when the last run is after now (clock went back): no slot is taken twice', () => {
    expect(dueRun(hourly, at('2024-01-10T12:15:00Z'), createdAt, at('2024-01-10T11:20:00Z'))).toBeNull();
  });

  it('daily on the spring-forward day: 03:00 CEST is due, once', () => {
    const lastRun = at('2024-03-30T01:30:00Z');
    expect(dueRun(daily, lastRun, createdAt, at('2024-03-31T00:59:59Z'))).toBeNull();
    const run = dueRun(daily, lastRun, createdAt, at('2024-03-31T01:00:00Z'));
    expect(iso(run)).toBe('2024-03-31T01:00:00.000Z');
    expect(dueRun(daily, run, createdAt, at('2024-03-31T21:59:00Z'))).toBeNull();
  });

  it('agrees with walking nextDue forward, for every 5 minutes of both DST nights (croner backwards = forwards)', () => {
    for (const schedule of [hourly, daily]) {
      for (const [from, to] of [
        ['2024-03-30T20:00:00Z', '2024-03-31T06:00:00Z'],
        ['2024-10-26T20:00:00Z', '2024-10-27T06:00:00Z'],
      ]) {
        const created = at(from);
        const forward: number[] = [];
        for (let t = nextDue(schedule, created); t.getTime() <= Date.parse(to); t = nextDue(schedule, t)) forward.push(t.getTime());
        for (let now = Date.parse(from); now <= Date.parse(to); now += 5 * 60_000) {
          const expected = forward.filter((t) => t <= now).at(-1) ?? null;
          expect([new Date(now).toISOString(), dueRun(schedule, null, created, new Date(now))?.getTime() ?? null]).toEqual([
            new Date(now).toISOString(),
            expected,
          ]);
        }
      }
    }
  });

  it('a scheduler ticking every minute through the fall-back day takes each of the 25 hourly runs exactly once', () => {
    const taken: string[] = [];
    let lastRun: Date | null = null;
    const created = at('2024-10-26T21:59:00Z');
    for (let now = Date.parse('2024-10-26T22:00:00Z'); now < Date.parse('2024-10-27T23:00:00Z'); now += 60_000) {
      const run = dueRun(hourly, lastRun, created, new Date(now));
      if (run) {
        taken.push(runId(policyId, run));
        lastRun = run;
      }
    }
    expect(taken).toHaveLength(25);
    expect(new Set(taken).size).toBe(25);
  });

  it('a restart across the repeated hour: every slot before the stop is kept, the missed ones collapse into one', () => {
    // Running until 23:50Z (01:50 CEST), down until 01:40Z (02:40 CET, the second pass).
    const lastRun = at('2024-10-26T23:15:00Z');
    const run = dueRun(hourly, lastRun, at('2024-10-26T00:00:00Z'), at('2024-10-27T01:40:00Z'));
    // Missed: 02:15 CEST (00:15Z) and 02:15 CET (01:15Z); only the latter is taken.
    expect(iso(run)).toBe('2024-10-27T01:15:00.000Z');
  });

  it('refuses invalid dates', () => {
    expect(() => dueRun(hourly, null, createdAt, new Date(NaN))).toThrow('now must be a valid Date');
    expect(() => dueRun(hourly, new Date(NaN), createdAt, createdAt)).toThrow('lastRunDueAt must be a valid Date');
  });
});

describe('runId', () => {
  it('builds an RFC 4122 v5 UUID: the RFC 9562 (appendix A.4) test vector, DNS namespace and www.example.com', () => {
    expect(uuidFromName('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    // Cross-checked with Python: uuid.uuid5(uuid.NAMESPACE_URL, 'https://strata.example/policies').
    expect(uuidFromName('https://strata.example/policies', '6ba7b811-9dad-11d1-80b4-00c04fd430c8')).toBe('45c039ca-c9cd-5585-b86f-82cd81df4525');
  });

  it('is the v5 UUID of "<policyId>@<due time in UTC ISO>" under the fixed namespace (pinned: changing it re-runs slots)', () => {
    expect(RUN_ID_NAMESPACE).toBe('8fcb8d9f-3c56-4d8b-a8ac-89fa0ad4a837');
    // Python: uuid.uuid5(uuid.UUID(RUN_ID_NAMESPACE), policyId + '@2024-10-27T00:15:00.000Z').
    expect(runId(policyId, at('2024-10-27T00:15:00Z'))).toBe('48b22cef-e55e-55c5-825f-2da9e327ce70');
  });

  it('is the same whoever computes it, and whatever offset the due time was written in', () => {
    expect(runId(policyId, at('2024-10-27T02:15:00+02:00'))).toBe(runId(policyId, at('2024-10-27T00:15:00.000Z')));
  });

  it('differs for the two runs of a repeated local hour, and for another policy', () => {
    const first = runId(policyId, at('2024-10-27T02:15:00+02:00'));
    const second = runId(policyId, at('2024-10-27T02:15:00+01:00'));
    expect(second).toBe('144ae4b1-ca70-5fa1-9c21-8aa5e7e41f5e');
    expect(first).not.toBe(second);
    expect(runId('another-policy', at('2024-10-27T00:15:00Z'))).not.toBe(first);
  });

  it('refuses a namespace that is not a UUID', () => {
    expect(() => uuidFromName('x', 'not-a-uuid')).toThrow('namespace must be a UUID');
  });
});
