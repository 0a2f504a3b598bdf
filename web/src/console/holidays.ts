// The holiday schedule as a clerk types it from the State Council's notice: one date a
// line, "2027-01-01 放假 元旦" or "2027-02-07 上班 春节调休" (holiday / workday also read).
import type { Schema } from '../shared/api';

/** A day of `PUT /holiday-calendars/{year}`, its kind as the clerk's line says it. */
export type ScheduledDay = Schema<'CalendarDay'> & { kind: 'holiday' | 'workday' };

export type ParsedSchedule =
  | { ok: true; days: ScheduledDay[] }
  | { ok: false; line: number; text: string };

const KINDS: Record<string, ScheduledDay['kind']> = {
  放假: 'holiday', 休: 'holiday', holiday: 'holiday',
  上班: 'workday', 班: 'workday', workday: 'workday',
};

/** Reads the lines; blank lines are skipped, the first unreadable one is reported (1-based). */
export function parseScheduleLines(text: string): ParsedSchedule {
  const days: ScheduledDay[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i += 1) {
    const line = (lines[i] ?? '').trim();
    if (!line) continue;
    const m = /^(\d{4}-\d{2}-\d{2})\s+(\S+)\s*(.*)$/.exec(line);
    const kind = m ? KINDS[m[2] ?? ''] : undefined;
    if (!m || !kind) return { ok: false, line: i + 1, text: line };
    days.push({ date: m[1] ?? '', kind, name: (m[3] ?? '').trim() });
  }
  return { ok: true, days };
}
