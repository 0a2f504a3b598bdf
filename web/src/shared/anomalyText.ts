// An anomaly in words a supervisor reads: one sentence, and its facts as labelled
// fields. The server writes both (`summary_zh` / `summary_en` and `facts`, owned by
// server/src/domain/anomaly_text.rs so the console and the phone page say the same
// thing); the builders here are the fallback for a server that predates them.
// Nothing here ever shows a raw key, an id or JSON.
import type { Lang, Pair } from './i18n';
import { INSPECTION_KIND } from './labels';
import { fmtTime } from './time';

export interface Anomaly {
  id: string;
  kind: string;
  severity: string;
  status: string;
  physician_id: string;
  site_id: string | null;
  visit_id?: string | null;
  event_ids: string[];
  detected_at: string;
  detail: Record<string, unknown>;
  review?: { decision: string; note: string; reviewer_id: string; reviewed_at: string } | null;
  label_zh?: string;
  label_en?: string;
  summary_zh?: string;
  summary_en?: string;
  facts?: ServerFact[];
  physician_name?: string | null;
  site_name?: string | null;
}

/** A fact as the server may label it itself. */
export interface ServerFact {
  key: string;
  label_zh: string;
  label_en: string;
  value_text: string;
  value_en?: string;
}

export interface Fact {
  key: string;
  label: Pair;
  value: Pair;
}

type Detail = Record<string, unknown>;
const num = (d: Detail, k: string): number | undefined => (typeof d[k] === 'number' ? (d[k] as number) : undefined);
const str = (d: Detail, k: string): string | undefined => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
const fmtNum = (v: number | undefined) => (v === undefined ? '—' : String(Math.round(v * 10) / 10));
const metres = (v: number | undefined): string =>
  v === undefined ? '—' : v >= 1000 ? `${(v / 1000).toFixed(1)} km` : `${Math.round(v)} m`;

/** One sentence per kind, from the detail's facts. */
const SENTENCES: Record<string, (d: Detail) => Pair> = {
  new_device: (d) => [
    `使用未绑定的新设备签到${str(d, 'bound_device_id') ? '（已绑定设备另有其机）' : ''}`,
    'Checked in from a device that is not the bound one',
  ],
  mock_location: () => ['手机报告了模拟定位（虚拟定位软件），位置不可信', 'The phone reported a mock location; the position cannot be trusted'],
  impossible_travel: (d) => [
    `与上一次扫码相距${fmtNum(num(d, 'distance_km'))}公里，仅隔${fmtNum(num(d, 'minutes'))}分钟，需时速${d.speed_kmh == null ? '∞' : fmtNum(num(d, 'speed_kmh'))}公里，超过上限${fmtNum(num(d, 'limit_kmh'))}公里`,
    `${fmtNum(num(d, 'distance_km'))} km from the previous scan in ${fmtNum(num(d, 'minutes'))} min: ${d.speed_kmh == null ? '∞' : fmtNum(num(d, 'speed_kmh'))} km/h, above the ${fmtNum(num(d, 'limit_kmh'))} km/h limit`,
  ],
  code_shared: (d) => [
    `同一签到码在相距${metres(num(d, 'separation_m'))}的两处被使用${d.same_device === true ? '（同一设备）' : ''}，疑似转发签到码`,
    `The same code was used at two places ${metres(num(d, 'separation_m'))} apart${d.same_device === true ? ' (same device)' : ''}: likely forwarded`,
  ],
  repeated_fix: () => ['定位坐标与此前一次完全相同，疑似伪造定位', 'The coordinates repeat an earlier fix exactly: likely fabricated'],
  late_sync: (d) => [
    `离线扫码后${fmtNum(num(d, 'delay_minutes'))}分钟才上传`,
    `Scanned offline and uploaded ${fmtNum(num(d, 'delay_minutes'))} min later`,
  ],
  missing_checkout: () => ['签到后未签退，服务已被自动结束', 'Checked in but never checked out; the service was closed automatically'],
  short_visit: (d) => [
    `签到后${fmtNum(num(d, 'minutes'))}分钟即签退，少于规定的${fmtNum(num(d, 'min_minutes'))}分钟`,
    `Checked out ${fmtNum(num(d, 'minutes'))} min after checking in, under the required ${fmtNum(num(d, 'min_minutes'))} min`,
  ],
  outside_window_edge: (d) => [
    `签到时间超出规定时段${str(d, 'window') ?? ''}${fmtNum(num(d, 'minutes_outside'))}分钟`,
    `Scanned ${fmtNum(num(d, 'minutes_outside'))} min outside the daily window ${str(d, 'window') ?? ''}`,
  ],
  inspection_absent: (d) => [
    `${tpZh(INSPECTION_KIND[str(d, 'inspection_kind') ?? ''], '核查')}时医师不在岗，但系统显示其正在服务`,
    `Absent at the ${tpEn(INSPECTION_KIND[str(d, 'inspection_kind') ?? ''], 'inspection').toLowerCase()} while the record shows a service in progress`,
  ],
  inspection_unrecorded: (d) => [
    `${tpZh(INSPECTION_KIND[str(d, 'inspection_kind') ?? ''], '核查')}时医师在岗，但没有签到记录`,
    `Present at the ${tpEn(INSPECTION_KIND[str(d, 'inspection_kind') ?? ''], 'inspection').toLowerCase()} but with no check-in`,
  ],
  presence_check_missed: () => ['未在规定时间内响应在岗抽查（重新扫码）', 'Did not answer the presence spot-check (scan again) in time'],
  requirement_missed: (d) => {
    const required = num(d, 'required') ?? num(d, 'min_days');
    const credited = num(d, 'credited') ?? num(d, 'credited_days');
    return [
      `本期应服务${fmtNum(required)}天，实际计入${fmtNum(credited)}天`,
      `${fmtNum(required)} days of service required this period, ${fmtNum(credited)} credited`,
    ];
  },
};

function tpZh(p: Pair | undefined, fallback: string) {
  return p ? p[0] : fallback;
}
function tpEn(p: Pair | undefined, fallback: string) {
  return p ? p[1] : fallback;
}

/** The anomaly's sentence in `lang`: the server's when it sends one. */
export function anomalySentence(a: Anomaly, lang: Lang): string {
  const server = lang === 'zh' ? a.summary_zh : a.summary_en;
  if (server) return server;
  const build = SENTENCES[a.kind];
  if (build) return build(a.detail ?? {})[lang === 'zh' ? 0 : 1];
  return lang === 'zh' ? '其他异常，请查看详情' : 'Another kind of anomaly; see its facts';
}

/** Labels and formatters of the detail members a supervisor reads. Others stay hidden. */
const FACTS: Record<string, { label: Pair; value: (v: unknown, tz: string) => Pair }> = {
  distance_km: { label: ['距离', 'Distance'], value: (v) => same(`${fmtNum(v as number)} km`) },
  minutes: { label: ['用时', 'Minutes'], value: (v) => [`${fmtNum(v as number)} 分钟`, `${fmtNum(v as number)} min`] },
  speed_kmh: { label: ['所需速度', 'Speed needed'], value: (v) => same(`${v == null ? '∞' : fmtNum(v as number)} km/h`) },
  limit_kmh: { label: ['速度上限', 'Speed limit'], value: (v) => same(`${fmtNum(v as number)} km/h`) },
  separation_m: { label: ['两次扫码间距', 'Separation'], value: (v) => same(metres(v as number)) },
  same_device: { label: ['同一设备', 'Same device'], value: (v) => (v ? ['是', 'Yes'] : ['否', 'No']) },
  minutes_outside: { label: ['超出时段', 'Outside the window by'], value: (v) => [`${fmtNum(v as number)} 分钟`, `${fmtNum(v as number)} min`] },
  window: { label: ['规定时段', 'Daily window'], value: (v) => same(String(v)) },
  device_id: { label: ['签到设备', 'Device'], value: (v) => same(String(v)) },
  bound_device_id: { label: ['已绑定设备', 'Bound device'], value: (v) => same(String(v)) },
  delay_minutes: { label: ['上传延迟', 'Upload delay'], value: (v) => [`${fmtNum(v as number)} 分钟`, `${fmtNum(v as number)} min`] },
  min_minutes: { label: ['规定最短时长', 'Minimum length'], value: (v) => [`${fmtNum(v as number)} 分钟`, `${fmtNum(v as number)} min`] },
  required: { label: ['应服务天数', 'Days required'], value: (v) => [`${fmtNum(v as number)} 天`, `${fmtNum(v as number)} days`] },
  credited: { label: ['实际计入天数', 'Days credited'], value: (v) => [`${fmtNum(v as number)} 天`, `${fmtNum(v as number)} days`] },
  local_date: { label: ['日期', 'Date'], value: (v) => same(String(v)) },
  period: { label: ['考核期', 'Period'], value: (v) => same(String(v)) },
  inspection_kind: { label: ['核查类型', 'Inspection'], value: (v) => INSPECTION_KIND[String(v)] ?? same(String(v)) },
  checked_in_at: { label: ['签到时间', 'Checked in'], value: (v, tz) => same(fmtTime(String(v), tz)) },
  closed_at: { label: ['结束时间', 'Closed'], value: (v, tz) => same(fmtTime(String(v), tz)) },
  observed_at: { label: ['核查时间', 'Observed'], value: (v, tz) => same(fmtTime(String(v), tz)) },
  scanned_at: { label: ['扫码时间', 'Scanned'], value: (v, tz) => same(fmtTime(String(v), tz)) },
  received_at: { label: ['上传时间', 'Received'], value: (v, tz) => same(fmtTime(String(v), tz)) },
};

function same(text: string): Pair {
  return [text, text];
}

/** The anomaly's facts as labelled fields: the server's when it sends them. */
export function anomalyFacts(a: Anomaly, tz: string): Fact[] {
  if (a.facts?.length) {
    return a.facts.map((f) => ({
      key: f.key,
      label: [f.label_zh, f.label_en],
      value: [f.value_text, f.value_en ?? f.value_text],
    }));
  }
  const out: Fact[] = [];
  for (const [key, raw] of Object.entries(a.detail ?? {})) {
    const known = FACTS[key];
    if (!known || raw === undefined || raw === null || typeof raw === 'object') continue;
    out.push({ key, label: known.label, value: known.value(raw, tz) });
  }
  return out;
}

/** Every kind the console can put in words (the tests check each has a sentence). */
export const SENTENCE_KINDS = Object.keys(SENTENCES);
