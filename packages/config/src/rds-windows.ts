/**
 * The backup and maintenance windows of an RDS instance, as RDS checks them.
 *
 * Source: RDS API Reference, CreateDBInstance / ModifyDBInstance: `PreferredBackupWindow` "Must be
 * in the format hh24:mi-hh24:mi ... Must not conflict with the preferred maintenance window. Must
 * be at least 30 minutes."; `PreferredMaintenanceWindow` "Must be in the format
 * ddd:hh24:mi-ddd:hh24:mi ... Must not conflict with the preferred backup window. Must be at least
 * 30 minutes." RDS refuses such windows only at apply time; these checks refuse them when the
 * config is loaded.
 */

/** Shortest backup or maintenance window RDS accepts, in minutes. */
export const MIN_RDS_WINDOW_MINUTES = 30;

const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

/** A window as a start minute and a length; starts are counted from Monday 00:00 UTC. */
interface Window {
  readonly start: number;
  readonly length: number;
}

function minuteOfDay(hhmm: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!match) return undefined;
  return Number(match[1]) * 60 + Number(match[2]);
}

function minuteOfWeek(dddhhmm: string): number | undefined {
  const day = WEEKDAYS.indexOf(dddhhmm.slice(0, 3) as (typeof WEEKDAYS)[number]);
  const minute = dddhhmm.charAt(3) === ":" ? minuteOfDay(dddhhmm.slice(4)) : undefined;
  if (day < 0 || minute === undefined) return undefined;
  return day * MINUTES_PER_DAY + minute;
}

/** `<from>-<to>` as a start and a length; an end before the start wraps around `period`. */
function parseWindow(
  value: string,
  minuteOf: (point: string) => number | undefined,
  period: number,
): Window | undefined {
  const [from = "", to = "", ...rest] = value.split("-");
  const start = minuteOf(from);
  const end = minuteOf(to);
  if (rest.length > 0 || start === undefined || end === undefined) return undefined;
  return { start, length: (end - start + period) % period };
}

/** `03:00-04:00` -> start 180, length 60. An end before the start runs past midnight. */
function dailyWindow(value: string): Window | undefined {
  return parseWindow(value, minuteOfDay, MINUTES_PER_DAY);
}

/** `sun:04:30-sun:05:30` -> start and length in minutes of the week; may run past Sunday. */
function weeklyWindow(value: string): Window | undefined {
  return parseWindow(value, minuteOfWeek, MINUTES_PER_WEEK);
}

function lengthProblem(window: Window | undefined): string | undefined {
  if (window === undefined || window.length >= MIN_RDS_WINDOW_MINUTES) return undefined;
  return `must be at least ${MIN_RDS_WINDOW_MINUTES} minutes long (RDS refuses a shorter window), found ${window.length}`;
}

/** Why a backup window (`hh24:mi-hh24:mi`) is too short for RDS, or undefined. */
export function backupWindowProblem(value: string): string | undefined {
  return lengthProblem(dailyWindow(value));
}

/** Why a maintenance window (`ddd:hh24:mi-ddd:hh24:mi`) is too short for RDS, or undefined. */
export function maintenanceWindowProblem(value: string): string | undefined {
  return lengthProblem(weeklyWindow(value));
}

/** Whether two windows on the weekly circle share a minute (end minutes are exclusive). */
function overlap(a: Window, b: Window): boolean {
  const bAfterA = (b.start - a.start + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
  const aAfterB = (a.start - b.start + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
  return bAfterA < a.length || aAfterB < b.length;
}

/** A conflict between the two windows, said from the side of each. */
export interface WindowsOverlap {
  /** The problem of the maintenance window. */
  readonly maintenanceWindow: string;
  /** The same problem said of the backup window (reported there when only it is written). */
  readonly backupWindow: string;
}

/**
 * Why the maintenance window conflicts with the daily backup window, or undefined when it does
 * not (or when either window is malformed, which its own check reports). The backup window
 * recurs every day, so it is checked on each of the seven days of the maintenance window's week.
 */
export function windowsOverlapProblem(
  backupWindow: string,
  maintenanceWindow: string,
): WindowsOverlap | undefined {
  const backup = dailyWindow(backupWindow);
  const maintenance = weeklyWindow(maintenanceWindow);
  if (backup === undefined || maintenance === undefined) return undefined;
  const clash = WEEKDAYS.find((_, day) =>
    overlap({ start: day * MINUTES_PER_DAY + backup.start, length: backup.length }, maintenance),
  );
  if (clash === undefined) return undefined;
  const fix =
    "RDS refuses overlapping windows. Fix: move one of database.maintenanceWindow and database.backupWindow";
  return {
    maintenanceWindow: `must not overlap the daily backup window ${backupWindow} (it does on ${clash}); ${fix}`,
    backupWindow: `must not overlap the maintenance window ${maintenanceWindow} (it does on ${clash}); ${fix}`,
  };
}
