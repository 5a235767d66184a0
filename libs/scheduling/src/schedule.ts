import { Cron } from 'croner';
import type { FieldViolation } from '@strata/kernel';
import { ScheduleErrors } from './schedule.errors';

/**
 * When a recurring job runs (a snapshot policy, a backup schedule), in its own time zone. `time` is 'HH:MM' (24 h);
 * `dayOfWeek` is 0-6 with 0 = Sunday (names are accepted on input and stored as numbers);
 * `dayOfMonth` 29-31 runs on the last day of months that are shorter (see `cronPatterns`).
 */
export type Schedule = HourlySchedule | DailySchedule | WeeklySchedule | MonthlySchedule;

export interface HourlySchedule {
  readonly kind: 'hourly';
  readonly minute: number;
  readonly timeZone: string;
}
export interface DailySchedule {
  readonly kind: 'daily';
  readonly time: string;
  readonly timeZone: string;
}
export interface WeeklySchedule {
  readonly kind: 'weekly';
  readonly dayOfWeek: Weekday;
  readonly time: string;
  readonly timeZone: string;
}
export interface MonthlySchedule {
  readonly kind: 'monthly';
  readonly dayOfMonth: number;
  readonly time: string;
  readonly timeZone: string;
}

export type ScheduleKind = Schedule['kind'];
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export const SCHEDULE_KINDS: readonly ScheduleKind[] = ['hourly', 'daily', 'weekly', 'monthly'];
export const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

/** The fields each kind takes besides `kind` and `timeZone`; anything else is refused, not ignored. */
const FIELDS_OF_KIND: { readonly [K in ScheduleKind]: readonly string[] } = {
  hourly: ['minute'],
  daily: ['time'],
  weekly: ['dayOfWeek', 'time'],
  monthly: ['dayOfMonth', 'time'],
};

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

export type ScheduleCheck =
  | { readonly ok: true; readonly schedule: Schedule }
  | { readonly ok: false; readonly violations: FieldViolation[] };

/**
 * Checks an untrusted schedule (e.g. a command's data) and returns it normalised, or every
 * broken rule at once, each naming the field (under `field`) and a class-validator-style rule.
 */
export function checkSchedule(input: unknown, field = 'schedule'): ScheduleCheck {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, violations: [{ field, rule: 'isObject', message: `${field} must be an object` }] };
  }
  const raw = input as Record<string, unknown>;
  const violations: FieldViolation[] = [];
  const at = (name: string) => `${field}.${name}`;
  const fail = (name: string, rule: string, message: string) => violations.push({ field: at(name), rule, message: `${at(name)} ${message}` });

  const timeZone = raw.timeZone;
  if (timeZone === undefined) fail('timeZone', 'isDefined', 'is required (an IANA time zone name such as Europe/Berlin)');
  else if (!isTimeZone(timeZone)) {
    fail('timeZone', 'isTimeZone', `must be an IANA time zone name such as Europe/Berlin or UTC, got ${show(timeZone)}`);
  }

  const kind = raw.kind;
  if (!SCHEDULE_KINDS.includes(kind as ScheduleKind)) {
    fail('kind', 'isIn', `must be one of ${SCHEDULE_KINDS.join(', ')}, got ${show(kind)}`);
    // Without a kind the other fields have no rules to be judged by.
    return { ok: false, violations };
  }
  const known = ['kind', 'timeZone', ...FIELDS_OF_KIND[kind as ScheduleKind]];
  for (const name of Object.keys(raw).filter((n) => !known.includes(n))) {
    fail(name, 'whitelistValidation', `should not exist on a ${kind as string} schedule`);
  }

  const integer = (name: string, min: number, max: number, what: string): number | undefined => {
    const value = raw[name];
    if (value === undefined) fail(name, 'isDefined', `is required (${what})`);
    else if (typeof value !== 'number' || !Number.isInteger(value)) fail(name, 'isInt', `must be an integer (${what}), got ${show(value)}`);
    else if (value < min) fail(name, 'min', `must be at least ${min} (${what}), got ${value}`);
    else if (value > max) fail(name, 'max', `must be at most ${max} (${what}), got ${value}`);
    else return value;
    return undefined;
  };
  const timeOfDay = (): string | undefined => {
    const value = raw.time;
    if (value === undefined) fail('time', 'isDefined', 'is required (HH:MM, 24-hour, in the time zone)');
    else if (typeof value !== 'string' || !TIME_OF_DAY.test(value)) {
      fail('time', 'isTimeOfDay', `must be a time of day HH:MM from 00:00 to 23:59, got ${show(value)}`);
    } else return value;
    return undefined;
  };
  const weekday = (): Weekday | undefined => {
    const value = raw.dayOfWeek;
    if (value === undefined) {
      fail('dayOfWeek', 'isDefined', 'is required (0-6 with 0 = Sunday, or a day name)');
      return undefined;
    }
    const day = toWeekday(value);
    if (day === undefined) {
      fail('dayOfWeek', 'isWeekday', `must be 0-6 with 0 = Sunday, or a day name such as "monday" or "mon", got ${show(value)}`);
    }
    return day;
  };

  let schedule: Schedule | undefined;
  const zone = timeZone as string;
  switch (kind as ScheduleKind) {
    case 'hourly': {
      const minute = integer('minute', 0, 59, 'the minute past each hour');
      if (minute !== undefined) schedule = { kind: 'hourly', minute, timeZone: zone };
      break;
    }
    case 'daily': {
      const time = timeOfDay();
      if (time !== undefined) schedule = { kind: 'daily', time, timeZone: zone };
      break;
    }
    case 'weekly': {
      const dayOfWeek = weekday();
      const time = timeOfDay();
      if (dayOfWeek !== undefined && time !== undefined) schedule = { kind: 'weekly', dayOfWeek, time, timeZone: zone };
      break;
    }
    case 'monthly': {
      const dayOfMonth = integer('dayOfMonth', 1, 31, 'the day of the month; 29-31 run on the last day of shorter months');
      const time = timeOfDay();
      if (dayOfMonth !== undefined && time !== undefined) schedule = { kind: 'monthly', dayOfMonth, time, timeZone: zone };
      break;
    }
  }
  return violations.length === 0 && schedule ? { ok: true, schedule } : { ok: false, violations };
}

/** `checkSchedule` for callers that want the domain error (`schedule.invalid`, validation). */
export function parseSchedule(input: unknown, field = 'schedule'): Schedule {
  const check = checkSchedule(input, field);
  if (!check.ok) throw ScheduleErrors.invalid(check.violations);
  return check.schedule;
}

/**
 * The 5-field cron patterns (minute hour day-of-month month day-of-week) whose union is the
 * schedule, read in its time zone. One pattern, except monthly on the 29th or 30th: cron has no
 * "day N or the last day if the month is shorter", so those months take the last day (`L`)
 * in a second pattern. Day 31 is simply `L`, the last day of every month.
 */
export function cronPatterns(schedule: Schedule): string[] {
  if (schedule.kind === 'hourly') return [`${schedule.minute} * * * *`];
  const [hour, minute] = schedule.time.split(':').map(Number);
  const at = `${minute} ${hour}`;
  switch (schedule.kind) {
    case 'daily':
      return [`${at} * * *`];
    case 'weekly':
      return [`${at} * * ${schedule.dayOfWeek}`];
    case 'monthly': {
      const day = schedule.dayOfMonth;
      if (day <= 28) return [`${at} ${day} * *`];
      if (day === 31) return [`${at} L * *`];
      // February is the only month without a 29th (in common years) or a 30th.
      return [`${at} ${day} 1,3-12 *`, `${at} L 2 *`];
    }
  }
}

/**
 * The schedule as croner jobs that never run anything: they only answer "when". Only ever ask
 * them with an explicit reference date; croner falls back to the real clock without one.
 * `fixedTimeRule` is croner's default, spelled out because the DST behaviour rests on it:
 * daily/weekly/monthly (one hour, one minute) are fixed-time jobs, hourly is an interval job.
 */
export function scheduleCrons(schedule: Schedule): Cron[] {
  return cronPatterns(schedule).map(
    (pattern) => new Cron(pattern, { timezone: schedule.timeZone, paused: true, mode: '5-part', fixedTimeRule: 'single-value' }),
  );
}

/**
 * An IANA zone name the runtime knows. Intl also takes UTC offsets ('+01:00'); those are
 * refused because a schedule in an offset would silently stop following daylight saving.
 */
function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || /^[+-]/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function toWeekday(value: unknown): Weekday | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 6 ? (value as Weekday) : undefined;
  if (typeof value !== 'string') return undefined;
  const name = value.toLowerCase();
  const index = WEEKDAY_NAMES.findIndex((day) => day === name || day.slice(0, 3) === name);
  return index === -1 ? undefined : (index as Weekday);
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // Numbers via String so that NaN and Infinity show as themselves, not as JSON's null.
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}
