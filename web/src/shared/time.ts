// Instants shown as wall-clock time in the site's zone (China Standard Time unless the
// site says otherwise), and the dates and months the API's filters take.
export const SHANGHAI = 'Asia/Shanghai';

function parts(date: Date, tz: string): Record<string, string> {
  const fmt = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return Object.fromEntries(fmt.formatToParts(date).map((p) => [p.type, p.value]));
}

export function fmtTime(value: string | null | undefined, tz: string = SHANGHAI): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const p = parts(date, tz);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

export function localDate(date: Date, tz: string = SHANGHAI): string {
  const p = parts(date, tz);
  return `${p.year}-${p.month}-${p.day}`;
}

export function thisMonth(tz: string = SHANGHAI): string {
  return localDate(new Date(), tz).slice(0, 7);
}

/** `YYYY-MM` one month before `month`. */
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  const d = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 2, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function minutesText(minutes: number | null | undefined, zh: boolean): string {
  if (minutes == null) return '—';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (zh) return h ? `${h}小时${m}分钟` : `${m}分钟`;
  return h ? `${h} h ${m} min` : `${m} min`;
}
