import { isDomainError } from '@strata/kernel';
import { nextDue } from './due-runs';
import { checkSchedule, cronPatterns, parseSchedule, type Schedule } from './schedule';

const berlin = 'Europe/Berlin';

/** Every due time in [from, to), by walking nextDue: what a scheduler would see. */
function dueTimesBetween(schedule: Schedule, from: string, to: string): string[] {
  const out: string[] = [];
  const end = new Date(to).getTime();
  for (let at = nextDue(schedule, new Date(new Date(from).getTime() - 1)); at.getTime() < end; at = nextDue(schedule, at)) {
    out.push(at.toISOString());
  }
  return out;
}

function violationsOf(input: unknown): { field: string; rule: string; message: string }[] {
  const check = checkSchedule(input);
  if (check.ok) throw new Error(`expected violations, got ${JSON.stringify(check.schedule)}`);
  return check.violations;
}

describe('checkSchedule', () => {
  it('accepts each kind and returns it unchanged', () => {
    const schedules: Schedule[] = [
      { kind: 'hourly', minute: 0, timeZone: 'UTC' },
      { kind: 'daily', time: '23:59', timeZone: berlin },
      { kind: 'weekly', dayOfWeek: 6, time: '00:00', timeZone: 'America/New_York' },
      { kind: 'monthly', dayOfMonth: 31, time: '02:30', timeZone: 'Asia/Kolkata' },
    ];
    for (const schedule of schedules) expect(checkSchedule(schedule)).toEqual({ ok: true, schedule });
  });

  it('takes weekday names (full or three letters, any case) and stores them as 0-6 with 0 = Sunday', () => {
    expect(parseSchedule({ kind: 'weekly', dayOfWeek: 'Monday', time: '03:00', timeZone: berlin })).toEqual({
      kind: 'weekly',
      dayOfWeek: 1,
      time: '03:00',
      timeZone: berlin,
    });
    expect(parseSchedule({ kind: 'weekly', dayOfWeek: 'SUN', time: '03:00', timeZone: berlin })).toMatchObject({ dayOfWeek: 0 });
    expect(parseSchedule({ kind: 'weekly', dayOfWeek: 'sat', time: '03:00', timeZone: berlin })).toMatchObject({ dayOfWeek: 6 });
  });

  it('refuses an unknown time zone and a UTC offset, naming field and rule', () => {
    expect(violationsOf({ kind: 'daily', time: '02:00', timeZone: 'Mars/Olympus' })).toEqual([
      {
        field: 'schedule.timeZone',
        rule: 'isTimeZone',
        message: 'schedule.timeZone must be an IANA time zone name such as Europe/Berlin or UTC, got "Mars/Olympus"',
      },
    ]);
    // Intl accepts offsets, but a policy pinned to one would not follow daylight saving.
    expect(violationsOf({ kind: 'daily', time: '02:00', timeZone: '+01:00' })).toMatchObject([{ field: 'schedule.timeZone', rule: 'isTimeZone' }]);
    expect(violationsOf({ kind: 'daily', time: '02:00', timeZone: '' })).toMatchObject([{ field: 'schedule.timeZone', rule: 'isTimeZone' }]);
    expect(violationsOf({ kind: 'daily', time: '02:00' })).toMatchObject([{ field: 'schedule.timeZone', rule: 'isDefined' }]);
  });

  it('refuses minute 60, a negative or fractional minute', () => {
    expect(violationsOf({ kind: 'hourly', minute: 60, timeZone: 'UTC' })).toEqual([
      { field: 'schedule.minute', rule: 'max', message: 'schedule.minute must be at most 59 (the minute past each hour), got 60' },
    ]);
    expect(violationsOf({ kind: 'hourly', minute: -1, timeZone: 'UTC' })).toMatchObject([{ field: 'schedule.minute', rule: 'min' }]);
    expect(violationsOf({ kind: 'hourly', minute: 1.5, timeZone: 'UTC' })).toMatchObject([{ field: 'schedule.minute', rule: 'isInt' }]);
    expect(violationsOf({ kind: 'hourly', minute: '5', timeZone: 'UTC' })).toMatchObject([{ field: 'schedule.minute', rule: 'isInt' }]);
  });

  it.each(['25:00', '24:00', '12:60', '7:30', '07:30:00', 'noon', ''])('refuses the time %j', (time) => {
    expect(violationsOf({ kind: 'daily', time, timeZone: 'UTC' })).toEqual([
      {
        field: 'schedule.time',
        rule: 'isTimeOfDay',
        message: `schedule.time must be a time of day HH:MM from 00:00 to 23:59, got ${JSON.stringify(time)}`,
      },
    ]);
  });

  it('refuses dayOfMonth 0 and 32', () => {
    expect(violationsOf({ kind: 'monthly', dayOfMonth: 0, time: '01:00', timeZone: 'UTC' })).toMatchObject([
      { field: 'schedule.dayOfMonth', rule: 'min', message: expect.stringContaining('must be at least 1') },
    ]);
    expect(violationsOf({ kind: 'monthly', dayOfMonth: 32, time: '01:00', timeZone: 'UTC' })).toMatchObject([
      { field: 'schedule.dayOfMonth', rule: 'max', message: expect.stringContaining('must be at most 31') },
    ]);
  });

  it('refuses dayOfWeek 7 (0 is Sunday) and unknown names', () => {
    for (const dayOfWeek of [7, -1, 'funday', 'mo']) {
      expect(violationsOf({ kind: 'weekly', dayOfWeek, time: '01:00', timeZone: 'UTC' })).toMatchObject([
        { field: 'schedule.dayOfWeek', rule: 'isWeekday' },
      ]);
    }
  });

  it('refuses an unknown kind, a non-object, and a field that does not belong to the kind', () => {
    expect(violationsOf({ kind: 'yearly', timeZone: 'UTC' })).toEqual([
      { field: 'schedule.kind', rule: 'isIn', message: 'schedule.kind must be one of hourly, daily, weekly, monthly, got "yearly"' },
    ]);
    expect(violationsOf(null)).toEqual([{ field: 'schedule', rule: 'isObject', message: 'schedule must be an object' }]);
    expect(violationsOf([])).toMatchObject([{ field: 'schedule', rule: 'isObject' }]);
    // A minute on a daily schedule is a misunderstanding, not something to ignore silently.
    expect(violationsOf({ kind: 'daily', time: '02:00', minute: 5, timeZone: 'UTC' })).toEqual([
      { field: 'schedule.minute', rule: 'whitelistValidation', message: 'schedule.minute should not exist on a daily schedule' },
    ]);
  });

  it('reports every broken rule at once, under the given field prefix', () => {
    const check = checkSchedule({ kind: 'monthly', dayOfMonth: 0, time: '25:00', timeZone: 'Nowhere/City' }, 'data.schedule');
    expect(check.ok).toBe(false);
    expect(!check.ok && check.violations.map((v) => `${v.field}:${v.rule}`)).toEqual([
      'data.schedule.timeZone:isTimeZone',
      'data.schedule.dayOfMonth:min',
      'data.schedule.time:isTimeOfDay',
    ]);
  });

  it('parseSchedule throws schedule.invalid (validation) carrying the violations', () => {
    let thrown: unknown;
    try {
      parseSchedule({ kind: 'hourly', minute: 60, timeZone: 'UTC' });
    } catch (error) {
      thrown = error;
    }
    expect(isDomainError(thrown)).toBe(true);
    expect(thrown).toMatchObject({
      code: 'schedule.invalid',
      category: 'validation',
      details: { violations: [{ field: 'schedule.minute', rule: 'max' }] },
    });
    expect((thrown as Error).message).toContain('schedule.minute must be at most 59');
  });
});

describe('cronPatterns', () => {
  it('maps each kind to a 5-field pattern (minute hour day-of-month month day-of-week)', () => {
    expect(cronPatterns({ kind: 'hourly', minute: 15, timeZone: 'UTC' })).toEqual(['15 * * * *']);
    expect(cronPatterns({ kind: 'daily', time: '02:30', timeZone: 'UTC' })).toEqual(['30 2 * * *']);
    expect(cronPatterns({ kind: 'weekly', dayOfWeek: 1, time: '03:05', timeZone: 'UTC' })).toEqual(['5 3 * * 1']);
    expect(cronPatterns({ kind: 'monthly', dayOfMonth: 15, time: '00:00', timeZone: 'UTC' })).toEqual(['0 0 15 * *']);
  });

  it('runs monthly on day 29-31 on the last day of shorter months', () => {
    expect(cronPatterns({ kind: 'monthly', dayOfMonth: 31, time: '03:00', timeZone: 'UTC' })).toEqual(['0 3 L * *']);
    expect(cronPatterns({ kind: 'monthly', dayOfMonth: 30, time: '03:00', timeZone: 'UTC' })).toEqual(['0 3 30 1,3-12 *', '0 3 L 2 *']);
    expect(cronPatterns({ kind: 'monthly', dayOfMonth: 29, time: '03:00', timeZone: 'UTC' })).toEqual(['0 3 29 1,3-12 *', '0 3 L 2 *']);
  });
});

describe('due times', () => {
  it('monthly on the 31st runs on the last day of 30-day months and of February (leap and common years)', () => {
    const schedule = parseSchedule({ kind: 'monthly', dayOfMonth: 31, time: '03:00', timeZone: 'UTC' });
    expect(dueTimesBetween(schedule, '2024-01-01T00:00:00Z', '2024-05-01T00:00:00Z')).toEqual([
      '2024-01-31T03:00:00.000Z',
      '2024-02-29T03:00:00.000Z',
      '2024-03-31T03:00:00.000Z',
      '2024-04-30T03:00:00.000Z',
    ]);
    expect(dueTimesBetween(schedule, '2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z')).toEqual(['2025-02-28T03:00:00.000Z']);
  });

  it('monthly on the 30th runs on the 30th of 31-day months (not also on the 31st) and on the last of February', () => {
    const schedule = parseSchedule({ kind: 'monthly', dayOfMonth: 30, time: '03:00', timeZone: 'UTC' });
    expect(dueTimesBetween(schedule, '2025-01-01T00:00:00Z', '2025-05-01T00:00:00Z')).toEqual([
      '2025-01-30T03:00:00.000Z',
      '2025-02-28T03:00:00.000Z',
      '2025-03-30T03:00:00.000Z',
      '2025-04-30T03:00:00.000Z',
    ]);
  });

  it('monthly on the 29th runs on 29 February in a leap year and on the 28th otherwise', () => {
    const schedule = parseSchedule({ kind: 'monthly', dayOfMonth: 29, time: '03:00', timeZone: 'UTC' });
    expect(dueTimesBetween(schedule, '2024-02-01T00:00:00Z', '2024-04-01T00:00:00Z')).toEqual([
      '2024-02-29T03:00:00.000Z',
      '2024-03-29T03:00:00.000Z',
    ]);
    expect(dueTimesBetween(schedule, '2025-02-01T00:00:00Z', '2025-04-01T00:00:00Z')).toEqual([
      '2025-02-28T03:00:00.000Z',
      '2025-03-29T03:00:00.000Z',
    ]);
  });

  it('monthly on the 15th keeps the local time across a DST change (UTC moves by an hour)', () => {
    const schedule = parseSchedule({ kind: 'monthly', dayOfMonth: 15, time: '09:00', timeZone: berlin });
    expect(dueTimesBetween(schedule, '2024-03-01T00:00:00Z', '2024-05-01T00:00:00Z')).toEqual([
      '2024-03-15T08:00:00.000Z', // CET, UTC+1
      '2024-04-15T07:00:00.000Z', // CEST, UTC+2
    ]);
  });

  it('weekly runs on the named day at the local time, also across a DST change', () => {
    const schedule = parseSchedule({ kind: 'weekly', dayOfWeek: 'monday', time: '03:00', timeZone: berlin });
    expect(dueTimesBetween(schedule, '2024-03-20T00:00:00Z', '2024-04-05T00:00:00Z')).toEqual([
      '2024-03-25T02:00:00.000Z', // Monday 03:00 CET
      '2024-04-01T01:00:00.000Z', // Monday 03:00 CEST
    ]);
  });

  it('hourly follows the zone: minute 0 in Asia/Kolkata (UTC+5:30) is half past in UTC', () => {
    const schedule = parseSchedule({ kind: 'hourly', minute: 0, timeZone: 'Asia/Kolkata' });
    expect(dueTimesBetween(schedule, '2024-01-01T00:00:00Z', '2024-01-01T02:00:00Z')).toEqual([
      '2024-01-01T00:30:00.000Z',
      '2024-01-01T01:30:00.000Z',
    ]);
  });

  describe('across daylight-saving changes (Europe/Berlin unless named, 2024)', () => {
    const daily0230 = parseSchedule({ kind: 'daily', time: '02:30', timeZone: berlin });
    const hourly = parseSchedule({ kind: 'hourly', minute: 15, timeZone: berlin });
    // Local midnights as instants: 31 March has 23 hours, 27 October 25.
    const springDay = ['2024-03-30T23:00:00Z', '2024-03-31T22:00:00Z'] as const;
    const fallDay = ['2024-10-26T22:00:00Z', '2024-10-27T23:00:00Z'] as const;

    it('daily 02:30 on the spring-forward day (02:30 does not exist) runs once, at 03:00 CEST just after the gap', () => {
      expect(dueTimesBetween(daily0230, ...springDay)).toEqual(['2024-03-31T01:00:00.000Z']);
      // The days around it are untouched.
      expect(dueTimesBetween(daily0230, '2024-03-29T23:00:00Z', '2024-04-01T22:00:00Z')).toEqual([
        '2024-03-30T01:30:00.000Z',
        '2024-03-31T01:00:00.000Z',
        '2024-04-01T00:30:00.000Z',
      ]);
    });

    it('daily 02:30 on the fall-back day (02:30 happens twice) runs once, at the first 02:30 (CEST)', () => {
      expect(dueTimesBetween(daily0230, ...fallDay)).toEqual(['2024-10-27T00:30:00.000Z']);
    });

    it('daily 01:30 in America/New_York on its fall-back day (3 November) runs once, at the first 01:30 (EDT)', () => {
      const schedule = parseSchedule({ kind: 'daily', time: '01:30', timeZone: 'America/New_York' });
      expect(dueTimesBetween(schedule, '2024-11-03T04:00:00Z', '2024-11-04T05:00:00Z')).toEqual(['2024-11-03T05:30:00.000Z']);
    });

    it('hourly over the fall-back night gives one run per real hour: 25 that day, none twice', () => {
      const runs = dueTimesBetween(hourly, ...fallDay);
      expect(runs).toHaveLength(25);
      expect(new Set(runs).size).toBe(25);
      // Exactly one hour apart throughout, the repeated 02:15 included (00:15Z CEST, 01:15Z CET).
      const gaps = runs.slice(1).map((run, i) => Date.parse(run) - Date.parse(runs[i]));
      expect(new Set(gaps)).toEqual(new Set([3_600_000]));
      expect(runs.slice(1, 5)).toEqual(['2024-10-26T23:15:00.000Z', '2024-10-27T00:15:00.000Z', '2024-10-27T01:15:00.000Z', '2024-10-27T02:15:00.000Z']);
    });

    it('hourly over the spring-forward night skips the missing hour: 23 runs that day, one per real hour', () => {
      const runs = dueTimesBetween(hourly, ...springDay);
      expect(runs).toHaveLength(23);
      const gaps = runs.slice(1).map((run, i) => Date.parse(run) - Date.parse(runs[i]));
      expect(new Set(gaps)).toEqual(new Set([3_600_000]));
      // 01:15 CET is followed by 03:15 CEST, one real hour later.
      expect(runs.slice(1, 3)).toEqual(['2024-03-31T00:15:00.000Z', '2024-03-31T01:15:00.000Z']);
    });
  });
});
