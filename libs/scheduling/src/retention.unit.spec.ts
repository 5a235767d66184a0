import { nextDue } from './due-runs';
import { checkRetention, runsBeyondRetention, type RetainedRun } from './retention';
import { parseSchedule, type Schedule } from './schedule';

const policyId = 'policy-a';
const otherPolicy = 'policy-b';

/** Wall-clock text in Europe/Berlin with its offset, as a host in that zone would write it. */
function berlinText(date: Date): string {
  const parts = new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Berlin',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  }).format(date); // e.g. "2024-10-27 02:15:00 GMT+02:00"
  const [day, time, zone] = parts.split(' ');
  return `${day}T${time}${zone.replace('GMT', '')}`;
}

/** The due times of a schedule in [from, to). */
function dueTimes(schedule: Schedule, from: string, to: string): Date[] {
  const out: Date[] = [];
  for (let t = nextDue(schedule, new Date(Date.parse(from) - 1)); t.getTime() < Date.parse(to); t = nextDue(schedule, t)) out.push(t);
  return out;
}

describe('runsBeyondRetention', () => {
  const snap = (id: string, dueAt: string | null, policy: string | null = policyId, takenAt = dueAt ?? '2024-01-01T00:00:00Z'): RetainedRun => ({
    id,
    scheduleId: policy,
    takenAt,
    dueAt,
  });

  it('returns the policy\'s snapshots beyond the retention count, oldest first', () => {
    const snapshots = [
      snap('s3', '2024-01-03T00:00:00Z'),
      snap('s1', '2024-01-01T00:00:00Z'),
      snap('s5', '2024-01-05T00:00:00Z'),
      snap('s2', '2024-01-02T00:00:00Z'),
      snap('s4', '2024-01-04T00:00:00Z'),
    ];
    expect(runsBeyondRetention(snapshots, policyId, 2)).toEqual(['s1', 's2', 's3']);
    expect(runsBeyondRetention(snapshots, policyId, 5)).toEqual([]);
    expect(runsBeyondRetention(snapshots, policyId, 9)).toEqual([]);
  });

  it('never returns another policy\'s snapshot or a manual one, however old', () => {
    const snapshots = [
      snap('manual-old', null, null, '2020-01-01T00:00:00Z'),
      snap('b-old', '2020-01-01T00:00:00Z', otherPolicy),
      snap('a1', '2024-01-01T00:00:00Z'),
      snap('a2', '2024-01-02T00:00:00Z'),
      snap('b-new', '2024-01-03T00:00:00Z', otherPolicy),
    ];
    expect(runsBeyondRetention(snapshots, policyId, 1)).toEqual(['a1']);
    expect(runsBeyondRetention(snapshots, otherPolicy, 1)).toEqual(['b-old']);
    expect(runsBeyondRetention(snapshots, 'policy-c', 1)).toEqual([]);
  });

  it('orders by due time, not by when the snapshot happened to finish', () => {
    // The older run finished late, after the newer one: by takenAt it would look newer.
    const snapshots = [
      snap('older-run', '2024-01-01T10:00:00Z', policyId, '2024-01-01T11:30:00Z'),
      snap('newer-run', '2024-01-01T11:00:00Z', policyId, '2024-01-01T11:00:05Z'),
    ];
    expect(runsBeyondRetention(snapshots, policyId, 1)).toEqual(['older-run']);
  });

  it('hourly, retention 3, over the fall-back night keeps exactly the 3 newest real hours (repeated 02:15 included)', () => {
    const hourly = parseSchedule({ kind: 'hourly', minute: 15, timeZone: 'Europe/Berlin' });
    // 00:15, 01:15, 02:15 CEST, 02:15 CET, 03:15 CET, written as local text with offsets.
    const runs = dueTimes(hourly, '2024-10-26T22:00:00Z', '2024-10-27T02:30:00Z');
    expect(runs.map(berlinText)).toEqual([
      '2024-10-27T00:15:00+02:00',
      '2024-10-27T01:15:00+02:00',
      '2024-10-27T02:15:00+02:00',
      '2024-10-27T02:15:00+01:00',
      '2024-10-27T03:15:00+01:00',
    ]);
    const snapshots = runs.map((due, i) => snap(`h${i}`, berlinText(due), policyId, berlinText(new Date(due.getTime() + 20_000))));
    // As text, "02:15:00+01:00" sorts before "02:15:00+02:00" although it is an hour later.
    expect([...snapshots].sort((a, b) => (a.dueAt! < b.dueAt! ? -1 : 1)).map((s) => s.id)).toEqual(['h0', 'h1', 'h3', 'h2', 'h4']);
    const shuffled = [snapshots[3], snapshots[0], snapshots[4], snapshots[2], snapshots[1]];
    // Kept: 02:15 CEST (h2), 02:15 CET (h3), 03:15 CET (h4); deleted: 00:15 and 01:15 CEST.
    expect(runsBeyondRetention(shuffled, policyId, 3)).toEqual(['h0', 'h1']);
    // Retention 2 keeps 02:15 CET and 03:15 CET: the first 02:15 (CEST) is the older of the two.
    expect(runsBeyondRetention(shuffled, policyId, 2)).toEqual(['h0', 'h1', 'h2']);
  });

  it('daily 02:30, retention 3, around spring-forward keeps the 3 newest days (the 31 March run at 03:00 CEST among them)', () => {
    const daily = parseSchedule({ kind: 'daily', time: '02:30', timeZone: 'Europe/Berlin' });
    const runs = dueTimes(daily, '2024-03-29T00:00:00Z', '2024-04-02T00:00:00Z');
    expect(runs.map(berlinText)).toEqual([
      '2024-03-29T02:30:00+01:00',
      '2024-03-30T02:30:00+01:00',
      '2024-03-31T03:00:00+02:00',
      '2024-04-01T02:30:00+02:00',
    ]);
    const snapshots = runs.map((due) => snap(`d-${berlinText(due).slice(0, 10)}`, berlinText(due)));
    // The 30 March snapshot finished late, after the 31 March one started: due time still decides.
    snapshots[1] = { ...snapshots[1], takenAt: '2024-03-31T03:05:00+02:00' };
    expect(runsBeyondRetention([...snapshots].reverse(), policyId, 3)).toEqual(['d-2024-03-29']);
    expect(runsBeyondRetention(snapshots, policyId, 2)).toEqual(['d-2024-03-29', 'd-2024-03-30']);
  });

  it('breaks a tie of equal due times deterministically (by takenAt, then id), whatever the input order', () => {
    const a = snap('x', '2024-01-01T00:00:00Z', policyId, '2024-01-01T00:00:10Z');
    const b = snap('y', '2024-01-01T00:00:00Z', policyId, '2024-01-01T00:00:05Z');
    const c = snap('z', '2024-01-01T00:00:00Z', policyId, '2024-01-01T00:00:05Z');
    expect(runsBeyondRetention([a, b, c], policyId, 1)).toEqual(['y', 'z']);
    expect(runsBeyondRetention([c, b, a], policyId, 1)).toEqual(['y', 'z']);
  });

  it('refuses a policy snapshot whose due time is missing or has no offset (local time would depend on the host)', () => {
    expect(() => runsBeyondRetention([snap('broken', null)], policyId, 1)).toThrow('run broken of schedule policy-a has no ISO 8601 dueAt');
    expect(() => runsBeyondRetention([snap('local', '2024-10-27T02:15:00')], policyId, 1)).toThrow('has no ISO 8601 dueAt with an offset');
    // Other policies' records are not read, so they cannot block this policy's retention.
    expect(runsBeyondRetention([snap('other-broken', 'garbage', otherPolicy)], policyId, 1)).toEqual([]);
  });

  it('refuses a retention below 1 or not an integer', () => {
    expect(() => runsBeyondRetention([], policyId, 0)).toThrow('retention must be an integer of at least 1, got 0');
    expect(() => runsBeyondRetention([], policyId, 1.5)).toThrow(RangeError);
  });
});

describe('checkRetention', () => {
  it('accepts integers from 1 and names field and rule otherwise', () => {
    expect(checkRetention(1)).toEqual([]);
    expect(checkRetention(500)).toEqual([]);
    expect(checkRetention(0, 'data.retention')).toEqual([{ field: 'data.retention', rule: 'min', message: 'data.retention must be at least 1, got 0' }]);
    expect(checkRetention(2.5)).toMatchObject([{ field: 'retention', rule: 'isInt' }]);
    expect(checkRetention('3')).toMatchObject([{ field: 'retention', rule: 'isInt' }]);
    expect(checkRetention(undefined)).toMatchObject([{ field: 'retention', rule: 'isDefined' }]);
  });
});
