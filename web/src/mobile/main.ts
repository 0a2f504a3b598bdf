// The physician's page (医师手机签到页) at /m/: sign in, scan the clinic's code with the
// camera (or paste it), check in and out with a fresh position, keep scans made without a
// network and send them later, and read the month's progress and the history.
import './mobile.css';

import type { Schema } from '../shared/api';
import { payloadInHash, payloadOf, siteOfPayload } from './code';
import * as db from './db';
import { drawMap, type Fix } from './map';
import { walkTo, type Fence } from './walk';
import { ACTIVITY, ACTIVITY_KINDS, ANOMALY, REFUSAL, STRINGS, type Lang, type Pair } from './words';
type Vars = Record<string, unknown>;
type Action = 'check_in' | 'check_out';

// The API's answers and bodies, as the document (schemas/openapi.json) types them.
type Session = Schema<'TokenResponse'>;
/** An assignment of `/me/assignments`; its fence, when the site has one, in WGS-84. */
type Assignment = Schema<'MyAssignment'> & { fence?: Fence | null };
type AnomalySummary = Schema<'AnomalySummary'>;
type Visit = Schema<'Visit'>;
type RequirementProgress = Schema<'RequirementProgress'>;
type Summary = Schema<'MonthSummary'>;
type Activity = Schema<'Activity'>;
type CheckBody = Schema<'AttendanceRequest'>;
interface QueueItem { id: string; user_id?: string; action: Action; body: CheckBody & { scanned_at: string }; queued_at: string; attempts: number; site_tz: string }
/** What the result card shows: an answer, a refusal, a queued scan or a failure. */
interface Result {
  outcome: string; action?: Action; code?: string; extra?: Record<string, number | null | undefined>; detail?: string;
  reasons?: string[]; summaries?: AnomalySummary[]; distance?: number | null; at?: string; siteTz?: string;
  visitId?: string; fromQueue?: boolean; words?: string;
  /** The site the scan was for, and where the phone was. */
  siteId?: string | null; fix?: Fix | null;
}
/** One scan in progress: the camera, the position watch, and what was read. */
interface Scan {
  action: Action; id: string; payload: string | null; scannedAt: Date | null; fix: GeolocationPosition | null;
  pending: string | null; photo: Promise<Blob | null> | null; fixError: string | null; status: string; stream: MediaStream | null; watch: number | null; timer: number;
  waiters: (() => void)[];
}
type Decode = (video: HTMLVideoElement) => Promise<string | null>;
declare global {
  interface Window {
    jsQR?: (data: Uint8ClampedArray, width: number, height: number, options?: unknown) => { data: string } | null;
    BarcodeDetector?: {
      new (options: { formats: string[] }): { detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]> };
      getSupportedFormats(): Promise<string[]>;
    };
  }
}
const KEY_SESSION = 'xiaxiang.m.session';
const KEY_LANG = 'xiaxiang.m.lang';
const KEY_DEVICE = 'xiaxiang.m.device';
const queueKey = (userId: string): string => 'xiaxiang.m.queue.' + userId;
const cacheKey = (userId: string): string => 'xiaxiang.m.cache.' + userId;
const DEFAULT_TZ = 'Asia/Shanghai';
const JSQR_URL = '/m/vendor/jsQR.js';
const REQUEST_TIMEOUT_MS = 20000;
const FIX_WAIT_MS = 20000;
const GOOD_ACCURACY_M = 30;
// The server refuses fixes worse than the site's limit, 100 m unless configured.
const FAIR_ACCURACY_M = 100;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const storage = {
  get(key: string): string | null { try { return localStorage.getItem(key); } catch (_) { return null; } },
  set(key: string, value: string): boolean { try { localStorage.setItem(key, value); return true; } catch (_) { return false; } },
  remove(key: string): void { try { localStorage.removeItem(key); } catch (_) { /* private mode */ } },
  json<T>(key: string, fallback: T): T {
    try { const v = JSON.parse(storage.get(key) || 'null'); return v == null ? fallback : v; } catch (_) { return fallback; }
  },
};

let lang: Lang = ((): Lang => {
  const saved = storage.get(KEY_LANG);
  if (saved === 'zh' || saved === 'en') return saved;
  const wanted = (navigator.languages && navigator.languages[0]) || navigator.language || 'zh';
  return /^zh/i.test(wanted) ? 'zh' : 'en';
})();
const pick = (pair: Pair): string => (lang === 'zh' ? pair[0] : pair[1]);
const activityName = (kind: string): string => pick(ACTIVITY[kind] || [kind, kind]);
function fill(text: string, vars?: Vars): string {
  return vars ? text.replace(/\{(\w+)\}/g, (m, k) => (vars[k] == null ? m : String(vars[k]))) : text;
}
function t(key: string, vars?: Vars): string {
  const text: string = STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
  return fill(text, vars);
}

// ---- DOM helpers: text only ever enters through text nodes --------------------------
function el(tag: string, attrs?: Record<string, unknown> | null, ...children: unknown[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value as EventListener);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(3)) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
function setText(node: HTMLElement, text?: string | null): void { node.textContent = text || ''; node.hidden = !text; }
let toastTimer = 0;
function toast(text: string): void {
  const node = $('toast');
  node.textContent = text; node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, 3500);
}

// ---- time -----------------------------------------------------------------------------
function parts(date: Date, tz?: string | null): Record<string, string> {
  let fmt;
  try {
    fmt = new Intl.DateTimeFormat('en-CA', { timeZone: tz || DEFAULT_TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  } catch (_) {
    fmt = new Intl.DateTimeFormat('en-CA', { timeZone: DEFAULT_TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }
  return Object.fromEntries(fmt.formatToParts(date).map((p) => [p.type, p.value]));
}
const localDate = (date: Date, tz?: string | null): string => { const p = parts(date, tz); return `${p.year}-${p.month}-${p.day}`; };
function hm(value: string | null | undefined, tz?: string | null): string {
  if (!value) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const p = parts(d, tz);
  return `${p.hour}:${p.minute}`;
}
function dayTime(value: string | undefined, tz?: string | null): string {
  const d = new Date(value ?? NaN);
  if (Number.isNaN(d.getTime())) return String(value);
  const p = parts(d, tz);
  return `${p.month}-${p.day} ${p.hour}:${p.minute}`;
}
function prettyDate(iso: string): string {
  const [y, m, d] = String(iso).split('-').map(Number);
  if (!y || !m || !d) return String(iso);
  const date = new Date(Date.UTC(y, m - 1, d, 12));
  try {
    return new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'UTC', month: 'short', day: 'numeric', weekday: 'short' }).format(date);
  } catch (_) { return String(iso); }
}
function duration(minutes: number): string {
  const total = Math.max(0, Math.round(minutes));
  const h = Math.floor(total / 60); const m = total % 60;
  return h ? t('dur', { h, m }) : t('dur_min', { m });
}
function monthOf(date: Date): string { return localDate(date, DEFAULT_TZ).slice(0, 7); }
function shiftMonth(month: string, by: number): string {
  const [y, m] = month.split('-').map(Number);
  const d = new Date(Date.UTC(y, m - 1 + by, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}
function monthLabel(month: string): string {
  const [y, m] = month.split('-').map(Number);
  if (lang === 'zh') return `${y}年${m}月`;
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', month: 'long', year: 'numeric' }).format(new Date(Date.UTC(y, m - 1, 1)));
}
const metres = (m: unknown): string => (m == null || !Number.isFinite(Number(m)) ? '?' : String(Math.round(Number(m))));

// ---- identity ---------------------------------------------------------------------------
function uuid(): string {
  if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
/** This browser's id, kept for good: the server binds a physician to the first device. */
function deviceId(): string {
  let id = storage.get(KEY_DEVICE);
  if (!id) { id = 'web-' + uuid(); storage.set(KEY_DEVICE, id); }
  return id;
}

// ---- session and API ----------------------------------------------------------------------
let session = storage.json<Session | null>(KEY_SESSION, null);
function saveSession(s: Session | null): void {
  session = s;
  if (s) storage.set(KEY_SESSION, JSON.stringify(s)); else storage.remove(KEY_SESSION);
  // The worker's copy, for uploading the queue on Background Sync with no page open.
  (s ? db.put('session', s, 'current') : db.remove('session', 'current')).catch(() => undefined);
}
/** A problem+json answer: `code` is the stable snake_case code of error.rs. */
class ApiError extends Error {
  status: number;
  code: string | undefined;
  body: { detail?: string; title?: string; code?: string; extra?: Record<string, number | null | undefined> };
  retryAfter: number | null;
  constructor(status: number, body: any, retryAfter?: number | null) {
    super((body && (body.detail || body.title)) || ('HTTP ' + status));
    this.status = status;
    this.code = body && body.code;
    this.body = body || {};
    this.retryAfter = retryAfter ?? null;
  }
}
/** The request never got an answer: offline, DNS, timeout. Safe to retry. */
class NetworkError extends Error {}

async function send(method: string, path: string, body?: unknown, token?: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    return await fetch(path, {
      method, headers, cache: 'no-store', credentials: 'omit', signal: controller.signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new NetworkError(String((e instanceof Error && e.message) || e));
  } finally {
    clearTimeout(timer);
  }
}
async function readBody(res: Response): Promise<any> {
  const text = await res.text().catch(() => '');
  if (!text) return null;
  try { return JSON.parse(text); } catch (_) { return { detail: text.slice(0, 200) }; }
}

// One refresh at a time: refresh tokens are single use.
let refreshing: Promise<string> | null = null;
function refreshSession(): Promise<string> {
  if (!refreshing) {
    const token = session && session.refresh_token;
    refreshing = (async () => {
      if (!token) return 'expired';
      const res = await send('POST', '/api/v1/auth/refresh', { refresh_token: token });
      if (!res.ok) return res.status >= 500 ? 'failed' : 'expired';
      const fresh = await res.json();
      saveSession(fresh);
      return 'renewed';
    })().catch((e) => (e instanceof NetworkError ? 'network' : 'failed')).finally(() => { refreshing = null; });
  }
  return refreshing;
}

/** A JSON call with the access token; on a 401 one refresh and one retry. */
async function api(method: string, path: string, body?: unknown): Promise<any> {
  for (let attempt = 0; ; attempt += 1) {
    if (!session) throw new ApiError(401, { code: 'unauthorized' });
    const token = session.access_token;
    const res = await send(method, path, body, token);
    if (res.status === 401 && attempt === 0) {
      if (session && session.access_token !== token) continue;
      const outcome = await refreshSession();
      if (outcome === 'renewed') continue;
      if (outcome === 'network') throw new NetworkError('refresh');
      if (outcome === 'expired') signOut('session_expired');
    }
    const data = await readBody(res);
    if (!res.ok) throw new ApiError(res.status, data, Number(res.headers.get('Retry-After')) || null);
    return data;
  }
}
function errorWords(e: unknown): string {
  if (e instanceof NetworkError) return t('err_network');
  if (e instanceof ApiError && e.status >= 500) return t('err_server');
  if (e instanceof ApiError && e.code && REFUSAL[e.code]) return fill(pick(REFUSAL[e.code]), { detail: e.body.detail || '' });
  return t('err_other', { detail: (e instanceof Error && e.message) || String(e) });
}

// ---- state ---------------------------------------------------------------------------------
interface PageState {
  assignments: Assignment[] | null; assignmentsError: unknown;
  visits: Visit[] | null; visitsError: unknown; visitsDays: number;
  month: string; summary: Summary | null; summaryError: unknown; summaryLoading: boolean;
  result: Result | null; activities: Activity[] | null; activitiesVisit: string | null; activitiesError: unknown;
  actMsg: { ok: boolean; kind?: string; count?: number; words?: string; error?: unknown } | null;
  tab: string; loginError: string | { key: string; vars?: Vars } | null;
}
const state: PageState = {
  assignments: null, assignmentsError: null,
  visits: null, visitsError: null, visitsDays: 31,
  month: monthOf(new Date()), summary: null, summaryError: null, summaryLoading: false,
  result: null, activities: null, activitiesVisit: null, activitiesError: null, actMsg: null,
  tab: 'today', loginError: null,
};
let scan: Scan | null = null;

function cacheOwn() {
  if (!session) return;
  storage.set(cacheKey(session.user.id), JSON.stringify({ assignments: state.assignments, visits: state.visits }));
}
function loadCache() {
  const cached = session ? storage.json<{ assignments?: Assignment[]; visits?: Visit[] } | null>(cacheKey(session.user.id), null) : null;
  if (cached) {
    state.assignments = cached.assignments || null;
    state.visits = cached.visits || null;
  }
}

function siteOf(siteId: string): { name: string; tz: string } {
  const a = (state.assignments || []).find((x) => x.site_id === siteId);
  return a ? { name: a.site_name, tz: a.timezone || DEFAULT_TZ } : { name: String(siteId).slice(0, 8) + '…', tz: DEFAULT_TZ };
}
function activeAssignments(): Assignment[] {
  return (state.assignments || []).filter((a) => {
    const today = localDate(new Date(), a.timezone);
    return a.start_date <= today && today <= a.end_date;
  });
}
function openVisit(): Visit | null { return (state.visits || []).find((v) => v.status === 'open') || null; }
function todaysVisit(): Visit | null {
  const open = openVisit();
  if (open) return open;
  return (state.visits || []).find((v) => v.local_date === localDate(new Date(), siteOf(v.site_id).tz)) || null;
}

async function loadAssignments() {
  try {
    state.assignments = await api('GET', '/api/v1/me/assignments');
    state.assignmentsError = null;
    cacheOwn();
  } catch (e) {
    state.assignmentsError = e;
  }
}
async function loadVisits() {
  const to = localDate(new Date(), DEFAULT_TZ);
  const from = localDate(new Date(Date.now() - state.visitsDays * 86400000), DEFAULT_TZ);
  try {
    const page = await api('GET', '/api/v1/me/visits?' + new URLSearchParams({ from, to }));
    state.visits = page.items || [];
    state.visitsError = null;
    cacheOwn();
  } catch (e) {
    state.visitsError = e;
  }
}
async function loadSummary() {
  const month = state.month;
  state.summaryLoading = true;
  renderSummary();
  try {
    const summary = await api('GET', '/api/v1/me/summary?' + new URLSearchParams({ month }));
    if (month !== state.month) return;
    state.summary = summary;
    state.summaryError = null;
  } catch (e) {
    if (month !== state.month) return;
    state.summaryError = e;
  } finally {
    if (month === state.month) { state.summaryLoading = false; renderSummary(); }
  }
}
async function loadActivities(visitId: string): Promise<void> {
  state.activitiesVisit = visitId;
  try {
    const items = await api('GET', `/api/v1/visits/${encodeURIComponent(visitId)}/activities`);
    if (state.activitiesVisit !== visitId) return;
    state.activities = Array.isArray(items) ? items : [];
    state.activitiesError = null;
  } catch (e) {
    if (state.activitiesVisit !== visitId) return;
    state.activitiesError = e;
  }
  renderActivities();
}
// ---- the bound phone (#22 point 6): offer a self-service move on a phone that is not it ----
interface DeviceStatus { device_id: string | null; self_move_from: string | null; pending_request: string | null }
let device: DeviceStatus | null = null;
let deviceNote = '';
async function loadDevice(): Promise<void> {
  try { device = await api('GET', '/api/v1/me/device'); } catch (_) { device = null; }
  renderDevice();
}
function renderDevice(): void {
  const stranger = !!session && !!device && !!device.device_id && device.device_id !== deviceId();
  const button = $<HTMLButtonElement>('device-move');
  $('device-banner').hidden = !stranger && !deviceNote;
  button.hidden = !stranger || !!device?.pending_request;
  button.textContent = t('device_move');
  $('device-text').textContent = deviceNote || (device?.pending_request ? t('device_pending') : t('device_new'));
}
$<HTMLButtonElement>('device-move').addEventListener('click', async () => {
  const button = $<HTMLButtonElement>('device-move');
  button.disabled = true;
  button.textContent = t('device_moving');
  try {
    const moved = await api('POST', '/api/v1/me/device-move-requests', { device_id: deviceId(), self_service: true });
    deviceNote = moved.status === 'approved' ? t('device_moved') : t('device_requested');
  } catch (e) {
    deviceNote = t('device_failed', { why: errorWords(e) });
  } finally {
    button.disabled = false;
  }
  await loadDevice();
});

async function refreshAll() {
  loadDevice();
  await Promise.all([loadAssignments(), loadVisits()]);
  renderToday();
  renderVisits();
  if (state.tab === 'progress') loadSummary();
}

// ---- rendering -------------------------------------------------------------------------------
function renderNet() {
  const online = navigator.onLine !== false;
  const net = $('net');
  net.dataset.state = online ? 'online' : 'offline';
  net.textContent = online ? t('online') : t('offline');
  $('offline-banner').hidden = online;
}

function renderToday() {
  if (!session) return;
  $('hello').textContent = t('hello', { name: session.user.name });
  const body = $('assignment-body');
  if (state.assignments == null) {
    body.replaceChildren(el('p', { class: state.assignmentsError ? 'error' : 'muted' },
      state.assignmentsError ? t('load_failed', { why: errorWords(state.assignmentsError) }) : t('loading')));
  } else {
    const active = activeAssignments();
    if (!active.length) {
      const upcoming = state.assignments
        .filter((a) => a.start_date > localDate(new Date(), a.timezone))
        .sort((a, b) => a.start_date.localeCompare(b.start_date))[0];
      body.replaceChildren(el('p', { id: 'no-assignment' }, t('no_assignment_today')),
        upcoming ? el('p', { class: 'muted' }, t('next_assignment', { site: upcoming.site_name, from: upcoming.start_date })) : '');
    } else {
      body.replaceChildren(...active.map((a) => el('div', { class: 'assignment', 'data-assignment-id': a.id, 'data-site-id': a.site_id },
        el('h3', { class: 'site-name' }, a.site_name),
        el('dl', { class: 'facts' },
          el('dt', {}, t('f_window')), el('dd', { class: 'window' }, `${a.window_start}–${a.window_end}`),
          el('dt', {}, t('f_program')), el('dd', {}, a.program_name),
          el('dt', {}, t('f_mode')), el('dd', {}, t('mode_' + a.mode)),
          el('dt', {}, t('f_period')), el('dd', {}, `${a.start_date} – ${a.end_date}`)))));
    }
    if (state.assignmentsError) body.append(el('p', { class: 'muted' }, t('load_failed', { why: errorWords(state.assignmentsError) })));
  }

  const visit = todaysVisit();
  const stateLine = $('visit-state');
  const detail = $('visit-detail');
  if (!visit) {
    stateLine.dataset.state = 'none';
    delete stateLine.dataset.visitId;
    stateLine.textContent = state.visits == null ? t('loading') : t('not_checked_in');
    setText(detail, state.visitsError ? t('load_failed', { why: errorWords(state.visitsError) }) : '');
  } else {
    const site = siteOf(visit.site_id);
    stateLine.dataset.state = visit.status;
    stateLine.dataset.visitId = visit.id;
    if (visit.status === 'open') {
      stateLine.textContent = t('checked_in');
      setText(detail, t('in_detail', { time: hm(visit.checked_in_at, site.tz), site: site.name,
        dur: duration((Date.now() - new Date(visit.checked_in_at).getTime()) / 60000) }));
    } else {
      stateLine.textContent = t('checked_out');
      setText(detail, t('out_detail', { site: site.name, from: hm(visit.checked_in_at, site.tz),
        to: hm(visit.checked_out_at, site.tz), dur: duration(visit.minutes || 0) }));
    }
  }
  // The likely next scan is the prominent one; both stay available.
  const open = !!openVisit();
  $<HTMLButtonElement>('btn-checkin').classList.toggle('primary', !open);
  $<HTMLButtonElement>('btn-checkout').classList.toggle('primary', open);
  // Nothing to check out of until there is an open visit.
  $<HTMLButtonElement>('btn-checkout').disabled = !open;

  const card = $('activity-card');
  if (visit) {
    card.hidden = false;
    card.dataset.visitId = visit.id;
    if (state.activitiesVisit !== visit.id) {
      state.activities = null; state.actMsg = null;
      loadActivities(visit.id);
    }
  } else {
    card.hidden = true;
  }
  renderActivities();
  renderQueue();
  renderResult();
  renderScan();
}

function renderScan() {
  if (!scan) { $('scanner').hidden = true; return; }
  $('scanner').hidden = false;
  $('scanner').dataset.action = scan.action;
  $('scan-title').textContent = t('scan_title_' + scan.action);
  $('scan-status').textContent = scan.status ? t(scan.status) : '';
  const pending = scan.pending;
  // No picture to show: a code from the address, or no camera at all.
  $('viewfinder').hidden = !!pending || ['insecure_camera', 'camera_unavailable', 'camera_denied'].includes(scan.status);
  $('manual').hidden = !!pending;
  $('url-code').hidden = !pending;
  if (pending) {
    const siteId = siteOfPayload(pending);
    const known = siteId ? (state.assignments || []).find((a) => a.site_id === siteId) : null;
    $('url-code-site').textContent = known ? t('url_code_site', { site: known.site_name }) : t('url_code_unknown');
    $('url-go').textContent = t('url_go_' + scan.action);
    $('url-go').dataset.action = scan.action;
  }
  const fix = $('fix-status');
  if (scan.fixError) {
    fix.dataset.quality = 'error';
    fix.textContent = t(scan.fixError);
  } else if (scan.fix) {
    const acc = scan.fix.coords.accuracy;
    fix.dataset.quality = acc <= GOOD_ACCURACY_M ? 'good' : acc <= FAIR_ACCURACY_M ? 'fair' : 'poor';
    fix.dataset.accuracy = String(Math.round(acc));
    fix.textContent = t('fix_accuracy', { m: metres(acc) }) + (acc > FAIR_ACCURACY_M ? t('fix_poor') : '');
  } else {
    fix.dataset.quality = 'none';
    fix.textContent = t('locating');
  }
}

function showResult(result: Result): void {
  state.result = result;
  renderResult();
  const box = $('result');
  if (!box.hidden) {
    box.scrollIntoView({ block: 'nearest' });
    if (result.outcome !== 'sending') box.focus({ preventScroll: true });
  }
}
function renderResult() {
  const r = state.result;
  const box = $('result');
  if (!r) { box.hidden = true; return; }
  box.hidden = false;
  box.dataset.outcome = r.outcome;
  box.dataset.action = r.action || '';
  box.dataset.code = r.code || '';
  box.dataset.fromQueue = r.fromQueue ? 'true' : 'false';
  const title = $('result-title');
  const detail = $('result-detail');
  const reasons = $('result-reasons');
  reasons.replaceChildren();
  reasons.hidden = true;
  const tz = r.siteTz || DEFAULT_TZ;
  const suffix = r.fromQueue ? t('from_queue') : '';
  const assignment = r.siteId ? (state.assignments || []).find((x) => x.site_id === r.siteId) : undefined;
  setText($('result-site'), r.outcome !== 'sending' && r.siteId ? t('result_site', { site: assignment ? assignment.site_name : siteOf(r.siteId).name }) : '');
  renderResultMap(r, assignment);
  if (r.outcome === 'sending') {
    title.textContent = t('sending');
    detail.textContent = '';
  } else if (r.outcome === 'accepted' || r.outcome === 'flagged') {
    title.textContent = t(`result_${r.outcome}_${r.action}`) + suffix;
    const bits = [t('at_time', { time: hm(r.at, tz) })];
    if (r.distance != null && r.distance > 0) bits.push(t('distance_fence', { m: metres(r.distance) }));
    detail.textContent = bits.join(' · ');
    if (r.outcome === 'flagged' && r.reasons && r.reasons.length) {
      reasons.hidden = false;
      reasons.append(el('li', { class: 'intro' }, t('flagged_intro')));
      // The server's sentence for each anomaly (the one the supervisor reads); an
      // answer stored before the server wrote them names the kind only.
      const said = r.summaries || [];
      r.reasons.forEach((reason, i) => {
        const s = said[i] && said[i].kind === reason ? said[i] : said.find((x) => x.kind === reason);
        reasons.append(s
          ? el('li', { 'data-reason': reason, class: 'said' }, el('strong', {}, pick([s.label_zh, s.label_en])), pick(['：', ': ']), pick([s.summary_zh, s.summary_en]))
          : el('li', { 'data-reason': reason }, ANOMALY[reason] ? pick(ANOMALY[reason]) : reason));
      });
    }
  } else if (r.outcome === 'refused') {
    title.textContent = t(`result_refused_${r.action}`) + suffix;
    detail.textContent = refusalWords(r);
  } else if (r.outcome === 'queued') {
    title.textContent = t('result_queued');
    detail.textContent = t('queued_detail', { time: dayTime(r.at, tz) });
  } else {
    title.textContent = t('result_error') + suffix;
    detail.textContent = r.words ? t(r.words) : fill(r.code && REFUSAL[r.code] ? pick(REFUSAL[r.code]) : t('err_other', { detail: r.detail || r.code || '' }), { detail: r.detail || '' });
  }
}
// After an outside_geofence refusal: which way to walk, and the map. Drawn once per result.
let resultMapFor: Result | null = null;
let removeResultMap: (() => void) | null = null;
function renderResultMap(r: Result, assignment: Assignment | undefined): void {
  const wanted = r.outcome === 'refused' && r.code === 'outside_geofence' && !!r.fix && !!assignment?.fence;
  const walkLine = $('result-walk');
  const host = $('result-map');
  if (!wanted || !r.fix || !assignment?.fence) {
    if (resultMapFor) { removeResultMap?.(); removeResultMap = null; resultMapFor = null; }
    walkLine.hidden = true;
    host.hidden = true;
    return;
  }
  const walk = walkTo(r.fix, assignment.fence);
  setText(walkLine, walk ? t('walk', { dir: lang === 'zh' ? walk.zh : walk.en, m: metres(walk.metres) }) : t('walk_inside'));
  walkLine.className = 'status-line walk';
  if (walk) walkLine.dataset.direction = walk.en;
  host.hidden = false;
  if (resultMapFor === r) return;
  removeResultMap?.();
  resultMapFor = r;
  drawMap(host, assignment.fence, r.fix, t('map_title'))
    .then((remove) => { if (resultMapFor === r) removeResultMap = remove; else remove(); })
    .catch((e) => { host.hidden = true; host.dataset.error = String(e); });
}

// ---- the map on demand: the fence of today's site and a fresh fix -----------------------------
let removeMap: (() => void) | null = null;
async function openMap(): Promise<void> {
  const card = $('map-card');
  const line = $('map-walk');
  card.hidden = false;
  card.scrollIntoView({ block: 'nearest' });
  const open = openVisit();
  const assignment = (open && (state.assignments || []).find((a) => a.site_id === open.site_id)) || activeAssignments()[0];
  if (!assignment) { line.textContent = t('map_no_site'); return; }
  if (!assignment.fence) { line.textContent = t('map_no_fence'); return; }
  const fence = assignment.fence;
  let fix: Fix | null = null;
  if (!window.isSecureContext) line.textContent = t('insecure_location');
  else if (navigator.geolocation) {
    line.textContent = t('map_locating');
    fix = await new Promise<Fix | null>((resolve) => navigator.geolocation.getCurrentPosition(
      (pos) => resolve({ lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy }),
      (err) => { line.textContent = t(err.code === 1 ? 'location_denied' : 'location_unavailable'); resolve(null); },
      { enableHighAccuracy: true, maximumAge: 0, timeout: FIX_WAIT_MS },
    ));
  }
  if (card.hidden) return;
  if (fix) {
    const walk = walkTo(fix, fence);
    line.textContent = walk ? t('walk', { dir: lang === 'zh' ? walk.zh : walk.en, m: metres(walk.metres) }) : t('walk_inside');
    line.dataset.direction = walk ? walk.en : 'inside';
  }
  removeMap?.();
  removeMap = await drawMap($('map'), fence, fix, assignment.site_name + ' · ' + t('map_title')).catch(() => null);
}
$('btn-map').addEventListener('click', () => { openMap(); });
$('map-close').addEventListener('click', () => { removeMap?.(); removeMap = null; $('map-card').hidden = true; });

function refusalWords(r: Result): string {
  const extra = r.extra || {};
  if (r.code === 'outside_geofence' && extra.distance_m == null) return pick(REFUSAL.outside_geofence_nofence);
  const pair = r.code ? REFUSAL[r.code] : undefined;
  if (!pair) return t('err_other', { detail: `${r.detail || ''} (${r.code})` });
  return fill(pick(pair), { m: metres(extra.distance_m), a: metres(extra.accuracy_m), l: metres(extra.limit_m), detail: r.detail || '' });
}

function renderActivities() {
  const list = $('act-list');
  const msg = $('act-msg');
  if (state.actMsg) {
    msg.hidden = false;
    msg.className = state.actMsg.ok ? 'ok' : 'error';
    msg.textContent = state.actMsg.ok ? t('act_saved', { kind: activityName(state.actMsg.kind ?? ''), n: state.actMsg.count })
      : (state.actMsg.words ? t(state.actMsg.words) : errorWords(state.actMsg.error));
  } else {
    msg.hidden = true;
  }
  if (state.activities == null) {
    list.replaceChildren(el('li', { class: 'muted' }, state.activitiesError ? t('act_unavailable') : t('loading')));
    return;
  }
  const current = state.activities.filter((a) => a.current !== false);
  if (!current.length) { list.replaceChildren(el('li', { class: 'muted' }, t('act_none'))); return; }
  list.replaceChildren(...current.map((a) => el('li', { 'data-kind': a.kind, 'data-count': a.count },
    el('strong', {}, pick(ACTIVITY[a.kind] || [a.kind, a.kind])), ' × ', String(a.count),
    a.note ? [' · ', a.note] : '', a.supersedes_id ? el('span', { class: 'muted' }, t('act_amends')) : '')));
}

// The queue lives in IndexedDB (db.ts); `queued` is this page's copy of the signed-in
// physician's items, oldest scan first, re-read after every change.
let queued: QueueItem[] = [];
function loadQueue(): QueueItem[] { return queued; }
async function reloadQueue(): Promise<QueueItem[]> {
  const userId = session?.user.id;
  try {
    const items = await db.all<QueueItem>('queue');
    queued = items.filter((i) => i.user_id === userId)
      .sort((a, b) => String(a.body.scanned_at).localeCompare(String(b.body.scanned_at)));
  } catch (_) { /* no IndexedDB (a private window): nothing was kept */ }
  return queued;
}
/** Moves a queue an older page kept in localStorage into IndexedDB. */
async function adoptOldQueue(): Promise<void> {
  if (!session) return;
  const key = queueKey(session.user.id);
  const old = storage.json<QueueItem[]>(key, []);
  for (const item of old) await db.put('queue', { ...item, user_id: session.user.id });
  storage.remove(key);
}
/** Answers the service worker got for queued scans while no page was open. */
async function showWorkerAnswers(): Promise<void> {
  let answers: { id: string; action: Action; status: number; answer: any; scanned_at?: string; site_tz?: string }[] = [];
  try { answers = await db.all('sent'); } catch (_) { return; }
  for (const a of answers) {
    await db.remove('sent', a.id).catch(() => undefined);
    const r = a.answer || {};
    if (a.status < 300) showResult({ outcome: r.verdict, action: a.action, reasons: r.reasons, summaries: r.anomaly_summaries, distance: r.distance_to_fence_m, at: a.scanned_at, siteTz: a.site_tz, fromQueue: true });
    else if (a.status === 422) showResult({ outcome: 'refused', action: a.action, code: r.code, extra: r.extra, detail: r.detail, siteTz: a.site_tz, fromQueue: true });
    else showResult({ outcome: 'error', action: a.action, code: r.code, detail: r.detail, siteTz: a.site_tz, fromQueue: true });
  }
  if (answers.length) { toast(t('sent_toast')); afterScan(); }
}
/** Asks for Background Sync: the worker uploads when the network returns, page open or not. */
function askBackgroundSync(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.ready
    .then((reg) => (reg as ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }).sync?.register('xiaxiang-queue'))
    .catch(() => undefined);
}
function renderQueue() {
  const items = loadQueue();
  const card = $('queue-card');
  card.hidden = !items.length;
  $('queue-count').textContent = t('queue_count', { n: items.length });
  $('queue-list').replaceChildren(...items.map((item) => el('li', { 'data-id': item.id, 'data-action': item.action },
    t('queue_item', { action: t('action_' + item.action), time: dayTime(item.body.scanned_at, DEFAULT_TZ) }),
    item.attempts ? t('queue_tries', { n: item.attempts }) : '')));
  $<HTMLButtonElement>('queue-send').disabled = !!flushing || navigator.onLine === false;
}

function renderSummary() {
  $('month-label').textContent = monthLabel(state.month);
  $<HTMLButtonElement>('month-next').disabled = state.month >= monthOf(new Date());
  const body = $('summary-body');
  const s = state.summary;
  if (state.summaryLoading && (!s || s.month !== state.month)) {
    body.replaceChildren(el('div', { class: 'card muted' }, t('loading')));
    body.setAttribute('aria-busy', 'true');
    return;
  }
  body.removeAttribute('aria-busy');
  if (state.summaryError && (!s || s.month !== state.month)) {
    body.replaceChildren(el('div', { class: 'card error' }, t('load_failed', { why: errorWords(state.summaryError) })));
    return;
  }
  if (!s) { body.replaceChildren(); return; }
  if (!s.assignments.length) { body.replaceChildren(el('div', { class: 'card muted', id: 'summary-empty' }, t('no_summary'))); return; }
  body.replaceChildren(...s.assignments.map((a) => el('article', { class: 'card summary', 'data-assignment-id': a.assignment_id, 'data-site-id': a.site_id },
    el('h3', {}, a.site_name),
    calendar(s.month, a),
    el('p', { class: 'month-total', 'data-credited-days': a.credited_days, 'data-half-days': a.credited_half_days, 'data-pending-visits': a.pending_visits },
      t('cal_total', { days: Number.isInteger(a.credited_days) ? a.credited_days : a.credited_days.toFixed(1), half: a.credited_half_days, pending: a.pending_visits })),
    el('h4', {}, t('requirements')),
    a.requirements.length ? a.requirements.map(requirementRow) : el('p', { class: 'muted' }, t('no_requirements')))));
  for (const bar of body.querySelectorAll<HTMLElement>('.bar div[data-fill]')) bar.style.width = bar.dataset.fill + '%';
}
const STANDINGS = ['full', 'half', 'pending', 'denied', 'open'];
/**
 * The month as a calendar (weeks from Monday): each day with a finished visit shows the
 * credit the server gave it (/me/summary `days`), a day with an open visit shows 在岗.
 */
function calendar(month: string, a: Schema<'AssignmentSummary'>): HTMLElement {
  const [y, m] = month.split('-').map(Number);
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const lead = (new Date(Date.UTC(y, m - 1, 1)).getUTCDay() + 6) % 7;
  const standing = new Map<string, string>((a.days || []).map((d) => [d.date, d.standing]));
  for (const v of state.visits || []) {
    if (v.status === 'open' && v.site_id === a.site_id && !standing.has(v.local_date)) standing.set(v.local_date, 'open');
  }
  const today = localDate(new Date(), DEFAULT_TZ);
  const cells: HTMLElement[] = t('cal_weekdays').split(',').map((w) => el('div', { class: 'wd', 'aria-hidden': 'true' }, w));
  for (let i = 0; i < lead; i += 1) cells.push(el('div', { 'aria-hidden': 'true' }));
  for (let d = 1; d <= daysInMonth; d += 1) {
    const date = `${month}-${String(d).padStart(2, '0')}`;
    const st = standing.get(date);
    cells.push(el('div', { class: 'day', 'data-date': date, 'data-standing': st || null, 'data-today': date === today ? 'true' : null, role: 'listitem',
      'aria-label': st ? `${prettyDate(date)} ${t('st_' + st)}` : prettyDate(date) },
      String(d), st ? el('small', {}, t('st_' + st)) : ''));
  }
  return el('div', {},
    el('div', { class: 'cal', role: 'list', 'aria-label': monthLabel(month) }, cells),
    el('div', { class: 'legend', 'aria-hidden': 'true' }, STANDINGS.map((st) => el('span', { 'data-standing': st }, t('st_' + st)))));
}
function requirementRow(p: RequirementProgress): HTMLElement {
  const r = p.requirement || {};
  const per = t('per_' + r.period);
  let text;
  // A consecutive span counts months (p.required and p.credited are months), not visits.
  const months = r.min_consecutive_months != null;
  if (months) text = t('req_months', { n: r.min_consecutive_months });
  else if (r.min_days != null) text = t('req_days', { n: r.min_days, per });
  else if (r.min_days_served != null) text = t('req_days_served', { n: r.min_days_served, per });
  else if (r.min_working_days != null) text = t('req_working_days', { n: r.min_working_days, per });
  else if (r.min_half_days != null) text = t('req_half_days', { n: r.min_half_days, per });
  else if (r.min_activity_count != null) text = t('req_activity_count', { n: r.min_activity_count, per, kind: activityName(r.activity || '') });
  else text = t('req_visits', { n: r.min_visits != null ? r.min_visits : p.required, per });
  if (r.activity && r.min_activity_count == null) text += t('req_activity', { kind: pick(ACTIVITY[r.activity] || [r.activity, r.activity]) });
  // The compliance report's own words, when the server sends them (Chinese only).
  if (lang === 'zh' && p.description_zh) text = p.description_zh;
  const fillPct = p.required > 0 ? Math.min(100, Math.round((100 * p.credited) / p.required)) : 100;
  const num = (v: number): string => (Number.isInteger(v) ? String(v) : Number(v).toFixed(1));
  return el('div', { class: 'req', 'data-status': p.status },
    el('div', { class: 'row' }, el('span', { class: 'grow' }, text), el('span', { class: 'badge b-' + p.status }, t('status_' + p.status))),
    el('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': p.required, 'aria-valuenow': p.credited, 'aria-label': text },
      el('div', { 'data-fill': fillPct })),
    el('p', { class: 'muted' }, t(months ? 'req_months_progress' : 'req_progress', { done: num(p.credited), need: num(p.required) }), ' · ',
      t('req_period', { from: p.period_start, to: p.period_end })));
}

function renderVisits() {
  const list = $('visits-list');
  if (state.visits == null) {
    list.replaceChildren(el('li', { class: state.visitsError ? 'error' : 'muted' },
      state.visitsError ? t('load_failed', { why: errorWords(state.visitsError) }) : t('loading')));
    return;
  }
  if (!state.visits.length) { list.replaceChildren(el('li', { class: 'muted' }, t('visits_none'))); return; }
  list.replaceChildren(...state.visits.map((v) => {
    const site = siteOf(v.site_id);
    const badge = v.status === 'open' ? ['b-open', t('vstatus_open')] : ['b-' + v.credit_state, t('credit_' + v.credit_state)];
    return el('li', { class: 'visit', 'data-visit-id': v.id, 'data-status': v.status, 'data-credit': v.credit_state },
      el('div', { class: 'row' }, el('strong', { class: 'grow' }, prettyDate(v.local_date)), el('span', { class: 'badge ' + badge[0] }, badge[1])),
      el('div', {}, site.name),
      el('div', { class: 'meta' }, t('visit_times', { from: hm(v.checked_in_at, site.tz), to: v.checked_out_at ? hm(v.checked_out_at, site.tz) : '—' }),
        v.minutes != null ? ' · ' + duration(v.minutes) : '',
        v.status === 'auto_closed' ? ' · ' + t('vstatus_auto_closed') : ''),
      v.anomaly_summaries && v.anomaly_summaries.length
        ? el('ul', { class: 'anoms' }, ...v.anomaly_summaries.map((s) => el('li', { 'data-kind': s.kind }, pick([s.summary_zh, s.summary_en]))))
        : '',
      appealsAbsent || v.status === 'open' || v.credit_state === 'creditable' ? '' : appealBox(v));
  }));
}

// ---- appeals (申诉) on a visit that was not credited or awaits review ------------------------------
type Appeal = Schema<'Appeal'>;
/** Set when the server has no appeals (404): the button is not offered again. */
let appealsAbsent = false;
const appealState = new Map<string, { open: boolean; items: Appeal[] | null; error: string | null; busy: boolean }>();
function appealBox(v: Visit): HTMLElement {
  const st = appealState.get(v.id) ?? { open: false, items: null, error: null, busy: false };
  const box = el('div', { class: 'appeal', 'data-visit-id': v.id });
  const latest = st.items && st.items.length ? st.items[st.items.length - 1] : null;
  if (latest) {
    box.append(el('p', { class: 'appeal-status', 'data-status': latest.status },
      t('appeal_status_' + latest.status), latest.decision_note ? ' · ' + latest.decision_note : ''));
  }
  if (!st.open) {
    if (!latest || latest.status !== 'pending') {
      box.append(el('button', { type: 'button', class: 'btn quiet appeal-open', onclick: () => openAppeal(v.id) }, t('appeal_button')));
    }
    return box;
  }
  const note = el('textarea', { class: 'appeal-note', maxlength: 2000, 'aria-label': t('appeal_note') }) as HTMLTextAreaElement;
  box.append(el('label', {}, t('appeal_note')), note,
    el('button', { type: 'button', class: 'btn appeal-send', disabled: st.busy, onclick: () => sendAppeal(v.id, note.value) }, t('appeal_send')),
    st.error ? el('p', { class: 'error', role: 'alert' }, st.error) : '');
  return box;
}
async function openAppeal(visitId: string): Promise<void> {
  const st = { open: true, items: null as Appeal[] | null, error: null as string | null, busy: false };
  appealState.set(visitId, st);
  try {
    st.items = await api('GET', `/api/v1/me/visits/${encodeURIComponent(visitId)}/appeals`);
    if (st.items && st.items.some((a) => a.status === 'pending')) st.open = false;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) { appealsAbsent = true; appealState.clear(); }
  }
  renderVisits();
}
async function sendAppeal(visitId: string, text: string): Promise<void> {
  const st = appealState.get(visitId);
  if (!st) return;
  const note = text.trim();
  if (!note || note.length > 2000) { st.error = t('appeal_bad_note'); renderVisits(); return; }
  st.busy = true;
  renderVisits();
  try {
    const appeal: Appeal = await api('POST', `/api/v1/me/visits/${encodeURIComponent(visitId)}/appeals`, { note });
    st.items = [...(st.items || []), appeal];
    st.open = false;
    st.error = null;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) { appealsAbsent = true; appealState.clear(); }
    else st.error = errorWords(e);
  } finally {
    st.busy = false;
    renderVisits();
  }
}

function renderAll() {
  renderNet();
  renderInsecure();
  if (session && !$('app-view').hidden) {
    renderToday();
    renderSummary();
    renderVisits();
  }
  if (state.loginError) setText($('login-error'), typeof state.loginError === 'string' ? t(state.loginError) : t(state.loginError.key, state.loginError.vars));
}

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('app_title');
  for (const node of document.querySelectorAll<HTMLElement>('[data-t]')) node.textContent = t(node.dataset.t ?? '');
  for (const node of document.querySelectorAll<HTMLElement>('[data-t-label]')) node.setAttribute('aria-label', t(node.dataset.tLabel ?? ''));
  const toggle = $('lang-toggle');
  toggle.textContent = lang === 'zh' ? 'EN' : '中文';
  toggle.lang = lang === 'zh' ? 'en' : 'zh-CN';
  toggle.setAttribute('aria-label', t('lang_switch'));
  const kind = $<HTMLSelectElement>('act-kind');
  const chosen = kind.value;
  kind.replaceChildren(...ACTIVITY_KINDS.map((k) => el('option', { value: k }, pick(ACTIVITY[k]))));
  if (chosen) kind.value = chosen;
  renderAll();
}
$('lang-toggle').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  storage.set(KEY_LANG, lang);
  applyLang();
});

// ---- login -------------------------------------------------------------------------------------
function signOut(reasonKey: string | null): void {
  const token = session && session.refresh_token;
  stopScan();
  saveSession(null);
  if (token && !reasonKey) send('POST', '/api/v1/auth/logout', { refresh_token: token }).catch(() => {});
  state.assignments = null; state.visits = null; state.summary = null; state.result = null;
  state.activities = null; state.activitiesVisit = null; state.actMsg = null;
  device = null; deviceNote = ''; renderDevice();
  $('app-view').hidden = true;
  $('password-view').hidden = true;
  $('logout').hidden = true;
  $('login-view').hidden = false;
  state.loginError = reasonKey || null;
  if (reasonKey) setText($('login-error'), t(reasonKey)); else $('login-error').hidden = true;
}
$('logout').addEventListener('click', () => signOut(null));

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const phone = $<HTMLInputElement>('login-phone').value.trim();
  const password = $<HTMLInputElement>('login-password').value;
  const err = $('login-error');
  const fail = (key: string, vars?: Vars): void => { state.loginError = { key, vars }; setText(err, t(key, vars)); };
  if (!phone || !password) { fail('err_fields'); return; }
  const button = $<HTMLButtonElement>('login-submit');
  button.disabled = true;
  button.textContent = t('signing_in');
  try {
    const res = await send('POST', '/api/v1/auth/login', { phone, password, device_id: deviceId() });
    const body = await readBody(res);
    if (res.status === 401) fail('err_credentials');
    else if (res.status === 429) fail('err_too_many', { s: Number(res.headers.get('Retry-After')) || 60 });
    else if (!res.ok) fail(res.status >= 500 ? 'err_server' : 'err_other', { detail: (body && body.detail) || res.status });
    else if (!body || !body.user || body.user.role !== 'physician') {
      send('POST', '/api/v1/auth/logout', { refresh_token: body && body.refresh_token }).catch(() => {});
      fail('err_not_physician');
    } else {
      saveSession(body);
      $<HTMLInputElement>('login-password').value = '';
      state.loginError = null;
      err.hidden = true;
      // A one-time password: the physician sets their own before anything else.
      if (body.must_change_password) askNewPassword(password); else start();
    }
  } catch (e) {
    fail(e instanceof NetworkError ? 'err_network' : 'err_other', { detail: String(e instanceof Error ? e.message : e) });
  } finally {
    button.disabled = false;
    button.textContent = t('sign_in');
  }
});

// ---- tabs --------------------------------------------------------------------------------------
const TABS = ['today', 'progress', 'visits'];
function selectTab(name: string, focus?: boolean): void {
  state.tab = name;
  for (const tab of TABS) {
    const button = $('tab-' + tab);
    const selected = tab === name;
    button.setAttribute('aria-selected', String(selected));
    button.tabIndex = selected ? 0 : -1;
    $(tab + '-view').hidden = !selected;
    if (selected && focus) button.focus();
  }
  if (name === 'progress') loadSummary();
  if (name === 'visits') renderVisits();
}
for (const tab of TABS) $('tab-' + tab).addEventListener('click', () => selectTab(tab));
$('tabs').addEventListener('keydown', (ev) => {
  const i = TABS.indexOf(state.tab);
  if (ev.key === 'ArrowRight') selectTab(TABS[(i + 1) % TABS.length], true);
  else if (ev.key === 'ArrowLeft') selectTab(TABS[(i + TABS.length - 1) % TABS.length], true);
  else return;
  ev.preventDefault();
});
$<HTMLButtonElement>('month-prev').addEventListener('click', () => { state.month = shiftMonth(state.month, -1); loadSummary(); });
$<HTMLButtonElement>('month-next').addEventListener('click', () => { state.month = shiftMonth(state.month, 1); loadSummary(); });
$('visits-more').addEventListener('click', async () => {
  state.visitsDays = Math.min(366, state.visitsDays + 31);
  await loadVisits();
  renderVisits();
});

// ---- scanning ------------------------------------------------------------------------------------
let decoderPromise: Promise<Decode> | null = null;
function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const node = document.createElement('script');
    node.src = src;
    node.onload = () => resolve();
    node.onerror = () => reject(new Error('could not load ' + src));
    document.head.append(node);
  });
}
/** A function that reads a QR code from the video: the browser's own detector, else jsQR. */
function decoder(): Promise<Decode> {
  if (!decoderPromise) {
    decoderPromise = (async () => {
      const Detector = window.BarcodeDetector;
      if (Detector) {
        try {
          const formats = await Detector.getSupportedFormats();
          if (formats.includes('qr_code')) {
            const detector = new Detector({ formats: ['qr_code'] });
            document.body.dataset.decoder = 'barcode-detector';
            return async (video: HTMLVideoElement) => {
              const codes = await detector.detect(video);
              return codes.length ? codes[0].rawValue : null;
            };
          }
        } catch (_) { /* fall through to jsQR */ }
      }
      if (typeof window.jsQR !== 'function') await loadScript(JSQR_URL);
      const jsQR = window.jsQR;
      const canvas = document.createElement('canvas');
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!jsQR || !ctx) throw new Error('no QR decoder');
      document.body.dataset.decoder = 'jsqr';
      return async (video: HTMLVideoElement) => {
        const scale = Math.min(1, 800 / Math.max(video.videoWidth, video.videoHeight, 1));
        const w = Math.round(video.videoWidth * scale);
        const h = Math.round(video.videoHeight * scale);
        if (!w || !h) return null;
        if (canvas.width !== w) canvas.width = w;
        if (canvas.height !== h) canvas.height = h;
        ctx.drawImage(video, 0, 0, w, h);
        const image = ctx.getImageData(0, 0, w, h);
        const found = jsQR(image.data, w, h, { inversionAttempts: 'attemptBoth' });
        return found ? found.data : null;
      };
    })().catch((e) => { decoderPromise = null; throw e; });
  }
  return decoderPromise;
}

/**
 * Starts a scan: the camera and a fresh position fix. With `pending` (a code from the
 * page's address, `/m/#c=…`) there is no camera: one tap on 签到/签退 sends it.
 */
function startScan(action: Action, pending?: string): void {
  stopScan();
  state.result = null;
  scan = { action, id: uuid(), payload: null, pending: pending ?? null, photo: null, scannedAt: null, fix: null, fixError: null, status: pending ? 'url_code_title' : 'camera_starting', stream: null, watch: null, timer: 0, waiters: [] };
  $<HTMLInputElement>('manual-code').value = '';
  $<HTMLDetailsElement>('manual').open = false;
  renderResult();
  renderScan();
  startLocation(scan);
  if (!pending) startCamera(scan);
  $('scanner').scrollIntoView({ block: 'start' });
}
function stopCamera(s: Scan | null): void {
  if (!s) return;
  clearTimeout(s.timer);
  if (s.stream) for (const track of s.stream.getTracks()) track.stop();
  s.stream = null;
  const video = $<HTMLVideoElement>('scan-video');
  video.pause();
  video.srcObject = null;
}
function stopScan() {
  const s = scan;
  if (!s) return;
  scan = null;
  stopCamera(s);
  if (s.watch != null && navigator.geolocation) navigator.geolocation.clearWatch(s.watch);
  for (const wake of s.waiters) wake();
  renderScan();
}
async function startCamera(s: Scan): Promise<void> {
  // Over plain http the browser gives no camera at all: say why, not "not allowed".
  if (!window.isSecureContext) {
    s.status = 'insecure_camera'; $<HTMLDetailsElement>('manual').open = true; renderScan(); return;
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    s.status = 'camera_unavailable'; $<HTMLDetailsElement>('manual').open = true; renderScan(); return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } } });
  } catch (e) {
    if (scan !== s) return;
    s.status = e instanceof DOMException && (e.name === 'NotAllowedError' || e.name === 'SecurityError') ? 'camera_denied' : 'camera_unavailable';
    $<HTMLDetailsElement>('manual').open = true;
    renderScan();
    return;
  }
  if (scan !== s || s.payload) { for (const track of stream.getTracks()) track.stop(); return; }
  s.stream = stream;
  const video = $<HTMLVideoElement>('scan-video');
  video.srcObject = stream;
  try { await video.play(); } catch (_) { /* autoplay rules: the muted video plays anyway */ }
  let decode;
  try {
    decode = await decoder();
  } catch (_) {
    if (scan !== s) return;
    s.status = 'camera_unavailable'; $<HTMLDetailsElement>('manual').open = true; renderScan();
    return;
  }
  if (scan !== s) return;
  s.status = 'camera_scanning';
  renderScan();
  const tick = async () => {
    if (scan !== s || s.payload) return;
    if (video.readyState >= 2) {
      let text = null;
      try { text = await decode(video); } catch (_) { text = null; }
      if (scan !== s || s.payload) return;
      if (text) { gotCode(s, text); return; }
    }
    s.timer = setTimeout(tick, 150);
  };
  tick();
}
function startLocation(s: Scan): void {
  if (!window.isSecureContext) { s.fixError = 'insecure_location'; renderScan(); return; }
  if (!navigator.geolocation) { s.fixError = 'location_unsupported'; renderScan(); return; }
  s.watch = navigator.geolocation.watchPosition((pos) => {
    if (scan !== s) return;
    s.fix = pos; s.fixError = null;
    renderScan();
    for (const wake of s.waiters.splice(0)) wake();
  }, (err) => {
    if (scan !== s) return;
    if (s.fix && err.code !== 1) return;
    s.fixError = err.code === 1 ? 'location_denied' : 'location_unavailable';
    renderScan();
    if (err.code === 1) for (const wake of s.waiters.splice(0)) wake();
  }, { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 });
}
function waitForFix(s: Scan): Promise<void> {
  if (s.fix || s.fixError === 'location_denied' || s.fixError === 'location_unsupported' || s.fixError === 'insecure_location') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, FIX_WAIT_MS);
    s.waiters.push(() => { clearTimeout(timer); resolve(); });
  });
}

async function gotCode(s: Scan, raw: string): Promise<void> {
  // A scanned or pasted code URL (`…/m/#c=<payload>`) carries the payload in its fragment.
  const text = payloadOf(String(raw));
  if (!text) return;
  s.payload = text;
  s.pending = null;
  // A frame of the camera at the moment of the scan, when the programme asks for one.
  if (wantsPhoto(text)) s.photo = grabFrame($<HTMLVideoElement>('scan-video'));
  s.scannedAt = new Date();
  stopCamera(s);
  if (navigator.vibrate) { try { navigator.vibrate(60); } catch (_) { /* not allowed */ } }
  s.status = s.fix ? 'code_read' : 'waiting_fix';
  renderScan();
  await waitForFix(s);
  if (scan !== s) return;
  if (!s.fix) {
    const words = s.fixError || 'location_unavailable';
    stopScan();
    showResult({ outcome: 'error', action: s.action, words });
    return;
  }
  const c = s.fix.coords;
  const body: CheckBody = {
    client_event_id: s.id,
    qr_payload: s.payload,
    device_id: deviceId(),
    location: {
      lat: c.latitude, lon: c.longitude,
      accuracy_m: Math.round((Number.isFinite(c.accuracy) ? c.accuracy : 9999) * 10) / 10,
      crs: 'wgs84', is_mock: false,
      fix_time: new Date(s.fix.timestamp || Date.now()).toISOString(),
    },
  };
  const action = s.action;
  stopScan();
  await submit(action, body, s.scannedAt, s.photo);
}

const PATH: Record<Action, string> = { check_in: '/api/v1/attendance/check-in', check_out: '/api/v1/attendance/check-out' };
function siteTzForAction(): string {
  const open = openVisit();
  if (open) return siteOf(open.site_id).tz;
  const active = activeAssignments()[0];
  return (active && active.timezone) || DEFAULT_TZ;
}
/** Whether an answer (or its absence) means "try again later" rather than a verdict. */
const retryable = (e: unknown): boolean => e instanceof NetworkError || !(e instanceof ApiError) || e.status === 0 || e.status >= 500 || e.status === 401 || e.status === 429;
/** Any failure as an API error (what is not one is said as its message). */
function asProblem(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, { detail: e instanceof Error ? e.message : String(e) });
}

/** The site a scan was for (from its code, else today's) and where the phone was. */
function scanContext(body: CheckBody): { siteId: string | null; fix: Fix } {
  const open = openVisit();
  const siteId = siteOfPayload(body.qr_payload) ?? open?.site_id ?? activeAssignments()[0]?.site_id ?? null;
  return { siteId, fix: { lat: body.location.lat, lon: body.location.lon, accuracy_m: body.location.accuracy_m } };
}
// ---- scan photo (programme setting `scan_photo`): taken at the scan, sent after the answer ------
function wantsPhoto(payload: string): boolean {
  const siteId = siteOfPayload(payload);
  const a = (state.assignments || []).find((x) => x.site_id === siteId) ?? activeAssignments()[0];
  return !!a && (a.scan_photo === 'optional' || a.scan_photo === 'required');
}
/** The video's current frame as a JPEG at most 640 px on its long side, or null. */
function grabFrame(video: HTMLVideoElement): Promise<Blob | null> {
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (!w || !h) return Promise.resolve(null);
  const scale = Math.min(1, 640 / Math.max(w, h));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(h * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) return Promise.resolve(null);
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob), 'image/jpeg', 0.8));
}
/** Sends the photo of an answered scan. Never undoes the check-in: a failure is only noted. */
async function uploadPhoto(eventId: string, photo: Promise<Blob | null>): Promise<void> {
  const blob = await photo;
  if (!blob || !session) return;
  const box = $('result');
  try {
    const res = await fetch(`/api/v1/attendance/events/${encodeURIComponent(eventId)}/photo`, {
      method: 'PUT', body: blob, cache: 'no-store', credentials: 'omit',
      headers: { 'Content-Type': 'image/jpeg', Authorization: 'Bearer ' + session.access_token },
    });
    // 404: a server without photos, or an event that is not this phone's; nothing to say.
    box.dataset.photo = res.ok ? 'sent' : res.status === 404 ? 'none' : 'failed';
  } catch (_) {
    box.dataset.photo = 'failed';
  }
}

async function submit(action: Action, body: CheckBody, scannedAt: Date, photo: Promise<Blob | null> | null = null): Promise<void> {
  const siteTz = siteTzForAction();
  if (navigator.onLine === false) { await enqueue(action, body, scannedAt, siteTz); return; }
  showResult({ outcome: 'sending', action });
  try {
    const res = await api('POST', PATH[action], body);
    showResult({ outcome: res.verdict, action, reasons: res.reasons, summaries: res.anomaly_summaries, distance: res.distance_to_fence_m, at: new Date().toISOString(), siteTz, visitId: res.visit_id, ...scanContext(body) });
    if (photo && res.event_id) uploadPhoto(res.event_id, photo);
    if ((res.reasons || []).includes('new_device')) loadDevice();
    afterScan();
  } catch (err) {
    const e = asProblem(err);
    // A retry carries the same client_event_id: if the first attempt did reach the
    // server, the server answers its first answer and stores nothing new.
    if (retryable(e)) { await enqueue(action, body, scannedAt, siteTz); return; }
    if (e.status === 422) showResult({ outcome: 'refused', action, code: e.code, extra: e.body.extra, detail: e.body.detail, siteTz, ...scanContext(body) });
    else showResult({ outcome: 'error', action, code: e.code, detail: e.body.detail || e.message, siteTz, ...scanContext(body) });
  }
}
async function enqueue(action: Action, body: CheckBody, scannedAt: Date, siteTz: string): Promise<void> {
  // `offline: true` asks the server to judge the code at the scan time, not on arrival.
  const item: QueueItem = { id: body.client_event_id, user_id: session?.user.id, action, body: { ...body, scanned_at: scannedAt.toISOString(), offline: true }, queued_at: new Date().toISOString(), attempts: 0, site_tz: siteTz };
  try {
    if (!(await db.read('queue', item.id))) await db.put('queue', item);
  } catch (_) {
    showResult({ outcome: 'error', action, words: 'queue_unavailable', siteTz, ...scanContext(body) });
    return;
  }
  await reloadQueue();
  showResult({ outcome: 'queued', action, at: item.body.scanned_at, siteTz, ...scanContext(item.body) });
  renderQueue();
  askBackgroundSync();
}

let flushing: Promise<void> | null = null;
// navigator.onLine can claim a network that does not work (and a page opened offline may
// never hear an `online` event): after a failed upload, try again in 5 s, 10 s, … 60 s.
let retryTimer = 0;
let retryDelay = 5000;
function retryLater(): void {
  clearTimeout(retryTimer);
  retryTimer = window.setTimeout(() => { if (session && loadQueue().length) flushQueue(); }, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 60000);
}
function flushQueue() {
  if (!flushing) {
    flushing = drainQueue().finally(() => { flushing = null; renderQueue(); });
    renderQueue();
  }
  return flushing;
}
async function drainQueue() {
  let sent = 0;
  while (session) {
    const items = await reloadQueue();
    if (!items.length) break;
    const item = items[0];
    const drop = () => db.remove('queue', item.id).then(reloadQueue);
    try {
      // Items queued by an older page lack the mark; everything in the queue is offline.
      const res = await api('POST', PATH[item.action], { ...item.body, offline: true });
      await drop();
      sent += 1;
      showResult({ outcome: res.verdict, action: item.action, reasons: res.reasons, summaries: res.anomaly_summaries, distance: res.distance_to_fence_m, at: item.body.scanned_at, siteTz: item.site_tz, fromQueue: true, ...scanContext(item.body) });
    } catch (err) {
      const e = asProblem(err);
      if (retryable(e)) {
        await db.put('queue', { ...item, attempts: (item.attempts || 0) + 1 }).then(reloadQueue).catch(() => undefined);
        retryLater();
        break;
      }
      await drop();
      sent += 1;
      if (e.status === 422) showResult({ outcome: 'refused', action: item.action, code: e.code, extra: e.body.extra, detail: e.body.detail, siteTz: item.site_tz, fromQueue: true, ...scanContext(item.body) });
      else showResult({ outcome: 'error', action: item.action, code: e.code, detail: e.body.detail || e.message, siteTz: item.site_tz, fromQueue: true, ...scanContext(item.body) });
    }
    renderQueue();
  }
  if (sent) { retryDelay = 5000; toast(t('sent_toast')); afterScan(); }
}

async function afterScan() {
  await loadVisits();
  renderToday();
  renderVisits();
  if (state.tab === 'progress') loadSummary();
  else state.summary = null;
}

$<HTMLButtonElement>('btn-checkin').addEventListener('click', () => startScan('check_in'));
$<HTMLButtonElement>('btn-checkout').addEventListener('click', () => startScan('check_out'));
$('scan-cancel').addEventListener('click', () => { stopScan(); $<HTMLButtonElement>('btn-checkin').focus(); });
$<HTMLButtonElement>('manual-submit').addEventListener('click', () => {
  const text = $<HTMLInputElement>('manual-code').value.trim();
  if (!scan) return;
  if (!text) { scan.status = 'manual_empty'; renderScan(); $<HTMLInputElement>('manual-code').focus(); return; }
  gotCode(scan, text);
});
$<HTMLInputElement>('manual-code').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); $<HTMLButtonElement>('manual-submit').click(); } });
$<HTMLButtonElement>('queue-send').addEventListener('click', () => flushQueue());
document.addEventListener('visibilitychange', () => {
  // A hidden page must not keep the camera on; the scan can be started again.
  if (document.hidden && scan && scan.stream && !scan.payload) stopScan();
  if (!document.hidden && session) { renderToday(); if (loadQueue().length) flushQueue(); }
});

// ---- activities ------------------------------------------------------------------------------
$('activity-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const visitId = $('activity-card').dataset.visitId ?? '';
  const kind = $<HTMLSelectElement>('act-kind').value;
  const raw = $<HTMLInputElement>('act-count').value.trim();
  const count = Number(raw);
  if (!raw || !Number.isInteger(count) || count < 0 || count > 10000) {
    state.actMsg = { ok: false, words: 'act_bad_count' }; renderActivities(); $<HTMLInputElement>('act-count').focus(); return;
  }
  const note = $<HTMLInputElement>('act-note').value.trim();
  const body: { kind: string; count: number; note?: string } = { kind, count };
  if (note) body.note = note;
  $<HTMLButtonElement>('act-submit').disabled = true;
  try {
    await api('POST', `/api/v1/visits/${encodeURIComponent(visitId)}/activities`, body);
    state.actMsg = { ok: true, kind, count };
    $<HTMLInputElement>('act-count').value = '';
    $<HTMLInputElement>('act-note').value = '';
    await loadActivities(visitId);
  } catch (e) {
    state.actMsg = e instanceof ApiError && e.code === 'activity_deadline_passed' ? { ok: false, words: 'act_deadline' } : { ok: false, error: e };
  } finally {
    $<HTMLButtonElement>('act-submit').disabled = false;
    renderActivities();
  }
});

// ---- boot ------------------------------------------------------------------------------------------
window.addEventListener('online', () => { renderNet(); renderQueue(); if (session) { flushQueue(); refreshAll(); } });
window.addEventListener('offline', () => { renderNet(); renderQueue(); });
// navigator.onLine can claim a connection that does not work: retry the queue now and then.
setInterval(() => { if (session && navigator.onLine !== false && loadQueue().length) flushQueue(); }, 30000);
// The on-duty time and the day's state move with the clock.
setInterval(() => { if (session && !$('app-view').hidden && !scan) renderToday(); }, 60000);

// ---- a one-time password changed at the first login ------------------------------------------
let oneTimePassword: string | null = null;
function askNewPassword(current: string): void {
  oneTimePassword = current;
  $('login-view').hidden = true;
  $('app-view').hidden = true;
  $('logout').hidden = false;
  $('password-view').hidden = false;
  $('pw-error').hidden = true;
  $<HTMLInputElement>('pw-new').focus();
}
$('password-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const next = $<HTMLInputElement>('pw-new').value;
  const err = $('pw-error');
  if (next !== $<HTMLInputElement>('pw-repeat').value) { setText(err, t('pw_mismatch')); return; }
  if (!session || !oneTimePassword) { signOut(null); return; }
  const button = $<HTMLButtonElement>('pw-submit');
  button.disabled = true;
  try {
    const res = await send('POST', '/api/v1/auth/password', { current_password: oneTimePassword, new_password: next }, session.access_token);
    const body = await readBody(res);
    if (!res.ok) { setText(err, (body && body.detail) || String(res.status)); return; }
    oneTimePassword = null;
    session.must_change_password = false;
    saveSession(session);
    $<HTMLInputElement>('pw-new').value = '';
    $<HTMLInputElement>('pw-repeat').value = '';
    $('password-view').hidden = true;
    toast(t('pw_done'));
    start();
  } catch (e) {
    setText(err, t('err_network'));
  } finally {
    button.disabled = false;
  }
});

// ---- a code in the page's address (/m/#c=…), and the insecure-context warning -------------------
/** The code the page was opened with, kept until the physician is signed in. */
let urlCode: string | null = null;
function takeUrlCode(): void {
  const code = payloadInHash(location.hash);
  if (!code) return;
  urlCode = code;
  // The fragment never reached the server; it must not stay in the history either.
  history.replaceState(null, '', location.pathname + location.search);
}
/** 签到, or 签退 when the physician has an open visit at the code's site. */
function actionForCode(code: string): Action {
  const open = openVisit();
  const site = siteOfPayload(code);
  return open && (site == null || open.site_id === site) ? 'check_out' : 'check_in';
}
function offerUrlCode(): void {
  if (!urlCode || !session || $('app-view').hidden) return;
  const code = urlCode;
  urlCode = null;
  selectTab('today');
  startScan(actionForCode(code), code);
  $('url-go').focus();
}
$<HTMLButtonElement>('url-go').addEventListener('click', () => {
  if (scan && scan.pending) gotCode(scan, scan.pending);
});
window.addEventListener('hashchange', () => { takeUrlCode(); offerUrlCode(); });
function renderInsecure(): void {
  const banner = $('insecure-banner');
  banner.hidden = window.isSecureContext !== false;
  if (!banner.hidden) banner.textContent = t('insecure_banner', { origin: location.origin });
}

function start() {
  $('password-view').hidden = true;
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('logout').hidden = false;
  loadCache();
  selectTab('today');
  renderAll();
  adoptOldQueue().catch(() => undefined).then(reloadQueue).then(() => {
    renderQueue();
    showWorkerAnswers();
    return refreshAll();
  }).then(() => { offerUrlCode(); return flushQueue(); });
}

takeUrlCode();
if ('serviceWorker' in navigator && window.isSecureContext) {
  // The worker keeps the page for opening offline and uploads the queue on Background Sync.
  navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch(() => undefined);
  navigator.serviceWorker.addEventListener('message', (ev) => {
    if (ev.data && ev.data.type === 'flush-queue' && session) flushQueue();
  });
}
applyLang();
if (session && session.access_token && session.user && session.user.role === 'physician' && !session.must_change_password) {
  start();
} else {
  saveSession(null);
  $('login-view').hidden = false;
}
