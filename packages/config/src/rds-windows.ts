/**
 * RDS's rules for the backup and maintenance windows beyond their format (CreateDBInstance,
 * PreferredBackupWindow and PreferredMaintenanceWindow: "Must be at least 30 minutes", "Must not
 * conflict with the preferred maintenance window"), checked before a plan instead of at apply.
 */
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const DAY = 24 * 60;
const WEEK = 7 * DAY;
/** The shortest window RDS accepts, in minutes. */
export const MIN_WINDOW_MINUTES = 30;

/** A window on a circle of `period` minutes (a day or a week): its start and length. */
interface Window {
  readonly start: number;
  readonly minutes: number;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** `03:00-04:00` on the circle of a day; undefined when not in that format. */
function dailyWindow(text: string): Window | undefined {
  const m = /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(text);
  if (!m) return undefined;
  const start = minutesOf(m[1] as string);
  return { start, minutes: (minutesOf(m[2] as string) - start + DAY) % DAY };
}

/** `sun:04:30-sun:05:30` on the circle of a week; undefined when not in that format. */
function weeklyWindow(text: string): Window | undefined {
  const m = /^([a-z]{3}):(\d\d:\d\d)-([a-z]{3}):(\d\d:\d\d)$/.exec(text);
  if (!m) return undefined;
  const at = (day: string, hhmm: string) =>
    DAYS.indexOf(day as (typeof DAYS)[number]) * DAY + minutesOf(hhmm);
  const start = at(m[1] as string, m[2] as string);
  return { start, minutes: (at(m[3] as string, m[4] as string) - start + WEEK) % WEEK };
}

/** Whether two windows on a circle of `period` minutes share a minute (end is exclusive). */
function overlap(a: Window, b: Window, period: number): boolean {
  const mod = (n: number) => ((n % period) + period) % period;
  return mod(b.start - a.start) < a.minutes || mod(a.start - b.start) < b.minutes;
}

/** Why the backup window is refused by RDS for its length, or undefined (a malformed value is the schema's). */
export function backupWindowProblem(backup: string): string | undefined {
  const daily = dailyWindow(backup);
  if (!daily || daily.minutes >= MIN_WINDOW_MINUTES) return undefined;
  return `must be at least ${MIN_WINDOW_MINUTES} minutes long (RDS refuses a shorter backup window), e.g. 03:00-03:30`;
}

/** Why the maintenance window is refused by RDS for its length, or undefined. */
export function maintenanceWindowProblem(maintenance: string): string | undefined {
  const weekly = weeklyWindow(maintenance);
  if (!weekly || weekly.minutes >= MIN_WINDOW_MINUTES) return undefined;
  return `must be at least ${MIN_WINDOW_MINUTES} minutes long (RDS refuses a shorter maintenance window), e.g. sun:04:30-sun:05:00`;
}

/** Whether the daily backup window meets the weekly maintenance window on any day (RDS refuses it). */
export function windowsConflict(backup: string, maintenance: string): boolean {
  const daily = dailyWindow(backup);
  const weekly = weeklyWindow(maintenance);
  if (!daily || !weekly) return false;
  return DAYS.some((_, d) =>
    overlap({ start: d * DAY + daily.start, minutes: daily.minutes }, weekly, WEEK),
  );
}
