// The one way the front-end talks to the server: the session (access token in
// sessionStorage, renewed once on a 401 with the single-use refresh token), JSON calls
// that turn problem+json into ApiError, and downloads of report files.
import { ref } from 'vue';

export interface SessionUser {
  id: string;
  role: string;
  name: string;
}
export interface Session {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user: SessionUser;
  /** Signed in with a one-time password: the user sets their own before anything else. */
  must_change_password?: boolean;
}
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

const SESSION_KEY = 'xiaxiang.console.session';

function readSession(): Session | null {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    return stored && stored.access_token && stored.user ? stored : null;
  } catch {
    return null;
  }
}

/** The signed-in session, reactive so the shell can switch between login and app. */
export const session = ref<Session | null>(readSession());
/** Why the session ended when it ended by itself (shown on the login form). */
export const sessionEndReason = ref<'expired' | null>(null);

function saveSession(next: Session | null): void {
  session.value = next;
  if (next) sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
  else sessionStorage.removeItem(SESSION_KEY);
}

/** A refused or failed call; `detail` is the problem+json detail when there is one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly detail: string;
  /** The problem's `extra` members (e.g. `rules` of a 422 `not_eligible`). */
  readonly extra: Record<string, unknown> | undefined;
  constructor(status: number, body: { detail?: string; title?: string; code?: string; extra?: Record<string, unknown> } | null) {
    const detail = body?.detail || body?.title || `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.code = body?.code;
    this.detail = detail;
    this.extra = body?.extra;
  }
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

function networkError(): ApiError {
  return navigator.onLine === false
    ? new ApiError(0, { code: 'offline', detail: '网络已断开 Offline' })
    : new ApiError(0, { code: 'network', detail: '无法连接服务器 Cannot reach the server' });
}

export async function login(phone: string, password: string): Promise<Session> {
  let res: Response;
  try {
    res = await fetch('/api/v1/auth/login', {
      method: 'POST',
      cache: 'no-store',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ phone, password }),
    });
  } catch {
    throw networkError();
  }
  const body = (await readBody(res)) as Session & { detail?: string; code?: string };
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

export function startSession(s: Session): void {
  sessionEndReason.value = null;
  saveSession(s);
}

/** The one-time password has been replaced: the session goes on without the flag. */
export function passwordChanged(): void {
  if (session.value) saveSession({ ...session.value, must_change_password: false });
}

export function logout(): void {
  const current = session.value;
  saveSession(null);
  if (current) {
    fetch('/api/v1/auth/logout', {
      method: 'POST',
      cache: 'no-store',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${current.access_token}` },
      body: JSON.stringify({ refresh_token: current.refresh_token }),
    }).catch(() => undefined);
  }
}

// One refresh at a time: refresh tokens are single use, so two parallel refreshes would
// spend the same token twice and end the session.
let refreshing: Promise<boolean> | null = null;
function refreshSession(): Promise<boolean> {
  if (!refreshing) {
    const token = session.value?.refresh_token;
    refreshing = (async () => {
      if (!token) return false;
      const res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        cache: 'no-store',
        credentials: 'omit',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ refresh_token: token }),
      });
      if (!res.ok) return false;
      saveSession((await res.json()) as Session);
      return true;
    })()
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

/** An authorised fetch: on a 401, one refresh and one retry; a second 401 signs out. */
async function authorised(method: string, path: string, init: { body?: unknown; accept?: string } = {}): Promise<Response> {
  for (let attempt = 0; ; attempt += 1) {
    const current = session.value;
    if (!current) throw new ApiError(401, { code: 'unauthenticated', detail: '未登录 Not signed in' });
    const headers: Record<string, string> = {
      Accept: init.accept ?? 'application/json',
      Authorization: `Bearer ${current.access_token}`,
    };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        cache: 'no-store',
        credentials: 'omit',
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    } catch {
      throw networkError();
    }
    if (res.status === 401 && attempt === 0) {
      const renewedMeanwhile = session.value && session.value.access_token !== current.access_token;
      if (renewedMeanwhile || (await refreshSession())) continue;
    }
    if (res.status === 401) {
      sessionEndReason.value = 'expired';
      saveSession(null);
    }
    return res;
  }
}

/** A file uploaded as the raw body (CSV or XLSX), answered with JSON. */
export async function postFile<T>(path: string, file: File): Promise<{ status: number; body: T }> {
  const current = session.value;
  if (!current) throw new ApiError(401, { code: 'unauthenticated', detail: '未登录 Not signed in' });
  const xlsx = /\.xlsx$/i.test(file.name);
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      cache: 'no-store',
      credentials: 'omit',
      headers: {
        Accept: 'application/json',
        Authorization: `Bearer ${current.access_token}`,
        'Content-Type': xlsx ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv',
      },
      body: await file.arrayBuffer(),
    });
  } catch {
    throw networkError();
  }
  const data = await readBody(res);
  if (!res.ok) throw new ApiError(res.status, data as { detail?: string });
  return { status: res.status, body: data as T };
}

/** A POST of JSON answered by an image (SVG), as a data: URL the page may show. */
export async function postForSvg(path: string, body: unknown): Promise<string> {
  const res = await authorised('POST', path, { body, accept: 'image/svg+xml' });
  if (!res.ok) throw new ApiError(res.status, (await readBody(res)) as { detail?: string });
  const svg = await res.text();
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** A JSON call; a non-2xx answer becomes an ApiError carrying the problem's detail. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await authorised(method, path, { body });
  const data = await readBody(res);
  if (!res.ok) throw new ApiError(res.status, data as { detail?: string });
  return data as T;
}

/** A GET that also reads the `X-Total-Count` header of a paged list (null when absent). */
export async function getWithTotal<T>(
  path: string,
  query?: Record<string, string | number | undefined | null>,
): Promise<{ body: T; total: number | null }> {
  const res = await authorised('GET', withQuery(path, query));
  const data = await readBody(res);
  if (!res.ok) throw new ApiError(res.status, data as { detail?: string });
  const header = res.headers.get('x-total-count');
  return { body: data as T, total: header === null ? null : Number(header) };
}

export const get = <T>(path: string, query?: Record<string, string | number | undefined | null>) =>
  api<T>('GET', withQuery(path, query));

export function withQuery(path: string, query?: Record<string, string | number | undefined | null>): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * Downloads what the server renders (a report as XLSX or CSV) under the name the server
 * gives in Content-Disposition, or `fallbackName`. The browser saves it as a file.
 */
export async function download(path: string, fallbackName: string, accept = '*/*'): Promise<void> {
  const res = await authorised('GET', path, { accept });
  if (!res.ok) throw new ApiError(res.status, (await readBody(res)) as { detail?: string });
  const blob = await res.blob();
  const name = fileName(res.headers.get('content-disposition')) ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function fileName(disposition: string | null): string | null {
  if (!disposition) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain?.[1] ?? null;
}

/** The words for an error in an alert: the problem's detail, and its code. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.code ? `${e.detail} (${e.code})` : e.detail;
  return e instanceof Error ? e.message : String(e);
}

/** Every page of a list (bounded), for the small reference lists (sites, jurisdictions). */
export async function getAll<T>(path: string, max = 20): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < max; i += 1) {
    const page: Page<T> = await get<Page<T>>(path, { limit: 500, cursor });
    out.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return out;
}

/** An image uploaded as the raw body (the server tells its type by its first bytes). */
export async function postImage<T>(path: string, file: Blob): Promise<T> {
  const current = session.value;
  if (!current) throw new ApiError(401, { code: 'unauthenticated', detail: '未登录 Not signed in' });
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      cache: 'no-store',
      credentials: 'omit',
      headers: {
        Accept: 'application/json',
        Authorization: `Bearer ${current.access_token}`,
        'Content-Type': file.type || 'application/octet-stream',
      },
      body: await file.arrayBuffer(),
    });
  } catch {
    throw networkError();
  }
  const data = await readBody(res);
  if (!res.ok) throw new ApiError(res.status, data as { detail?: string });
  return data as T;
}

/** A protected image (an inspection photo) as a data: URL (the console's policy allows
 * `img-src data:`), with the `X-Content-SHA256` the server sent for it. */
export async function getImageUrl(path: string): Promise<{ url: string; sha256: string | null }> {
  const res = await authorised('GET', path, { accept: 'image/*' });
  if (!res.ok) throw new ApiError(res.status, (await readBody(res)) as { detail?: string });
  const blob = await res.blob();
  const url = await new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
  return { url, sha256: res.headers.get('x-content-sha256') };
}
