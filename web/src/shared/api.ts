// The one way the front-end talks to the server: the session (access token in
// sessionStorage, renewed once on a 401 with the single-use refresh token), JSON calls
// that turn problem+json into ApiError, and downloads of report files.
import { ref } from 'vue';
import type { components, paths } from './openapi';

/**
 * A type of the server's document (schemas/openapi.json), as `npm run api-types` generates
 * it into openapi.d.ts: the web's server types are these, so a field the server renames or
 * drops fails `vue-tsc` (and `npm run build`) instead of a user.
 */
export type Schema<K extends keyof components['schemas']> = components['schemas'][K];

export type SessionUser = Schema<'UserSummary'>;
/** A login or refresh answer; `must_change_password`: signed in with a one-time password,
 * the user sets their own before anything else. */
export type Session = Schema<'TokenResponse'>;
/** A page of a list (`Page_Visit`, `Page_Anomaly`, ...) of `T`. */
export type Page<T> = Omit<Schema<'Page_Visit'>, 'items'> & { items: T[] };

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
    cursor = page.next_cursor ?? null;
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

// ---- Calls typed by the document's path templates -------------------------------------
// `apiGet('/api/v1/visits', { query: { site_id } })` checks the path, its parameters, the
// query's names and the request body against openapi.d.ts and infers the JSON answer of
// the 200/201, through the same session, refresh and ApiError as `api` above.

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** The documented path templates (`/api/v1/visits/{id}`) that answer `M`. */
export type PathOf<M extends Method> = {
  [P in keyof paths]: paths[P] extends Record<M, object> ? P : never;
}[keyof paths];
type Operation<P extends keyof paths, M extends Method> = paths[P] extends Record<M, infer O> ? O : never;
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : null;
/** The JSON body of the operation's success (null for a 204). */
export type Answer<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { responses: infer R } ? JsonOf<R[Extract<keyof R, 200 | 201 | 202 | 204>]> : never;
type Params<O> = O extends { parameters: infer X } ? X : never;
type PathParams<O> = Params<O> extends { path: infer X } ? X : never;
type Query<O> = Params<O> extends { query?: infer X } ? NonNullable<X> : never;
type Body<O> = O extends { requestBody?: infer X } ? NonNullable<X> : never;
type JsonBody<O> = Body<O> extends { content: { 'application/json': infer B } } ? B : never;
/** A query as the views fill it: an empty or null value is left out of the URL, and a
 * boolean may be the string a form holds (`'true'`). */
type LooseQuery<Q> = { [K in keyof Q]?: Q[K] | null | '' | ([NonNullable<Q[K]>] extends [boolean] ? string : never) };
/** What a call needs besides its path: the path's parameters, the query, the JSON body. */
export type CallOptions<O> = ([PathParams<O>] extends [never] ? { path?: undefined } : { path: PathParams<O> }) &
  ([Query<O>] extends [never] ? { query?: undefined } : { query?: LooseQuery<Query<O>> }) &
  ([JsonBody<O>] extends [never]
    ? { body?: undefined }
    : O extends { requestBody: object }
      ? { body: JsonBody<O> }
      : { body?: JsonBody<O> });
/** The options argument, optional when nothing in it is required. */
type OptionsArg<O> = object extends CallOptions<O> ? [options?: CallOptions<O>] : [options: CallOptions<O>];
interface AnyOptions {
  path?: Record<string, string | number>;
  query?: Record<string, string | number | boolean | undefined | null>;
  body?: unknown;
}

/** The URL of a documented path template with its parameters filled in and the query. */
export function pathUrl(template: string, options?: AnyOptions): string {
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = options?.path?.[name];
    if (value === undefined || value === '') throw new Error(`${template}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
  const query: Record<string, string | number | undefined | null> = {};
  for (const [k, v] of Object.entries(options?.query ?? {})) query[k] = typeof v === 'boolean' ? String(v) : v;
  return withQuery(path, query);
}

function call(method: string, template: string, options: unknown): Promise<never> {
  const o = options as AnyOptions | undefined;
  return api<never>(method, pathUrl(template, o), o?.body);
}

export function apiGet<P extends PathOf<'get'>>(path: P, ...[options]: OptionsArg<Operation<P, 'get'>>): Promise<Answer<P, 'get'>> {
  return call('GET', path, options);
}
export function apiPost<P extends PathOf<'post'>>(path: P, ...[options]: OptionsArg<Operation<P, 'post'>>): Promise<Answer<P, 'post'>> {
  return call('POST', path, options);
}
export function apiPut<P extends PathOf<'put'>>(path: P, ...[options]: OptionsArg<Operation<P, 'put'>>): Promise<Answer<P, 'put'>> {
  return call('PUT', path, options);
}
export function apiPatch<P extends PathOf<'patch'>>(path: P, ...[options]: OptionsArg<Operation<P, 'patch'>>): Promise<Answer<P, 'patch'>> {
  return call('PATCH', path, options);
}
export function apiDelete<P extends PathOf<'delete'>>(path: P, ...[options]: OptionsArg<Operation<P, 'delete'>>): Promise<Answer<P, 'delete'>> {
  return call('DELETE', path, options);
}

/** A paged list's item type (`Page_Visit` -> `Visit`). */
export type ItemOf<A> = A extends { items: (infer I)[] } ? I : never;

/** A typed GET of a paged list that also reads `X-Total-Count` (null when absent). */
export function apiGetWithTotal<P extends PathOf<'get'>>(
  path: P,
  ...[options]: OptionsArg<Operation<P, 'get'>>
): Promise<{ body: Answer<P, 'get'>; total: number | null }> {
  const o = options as AnyOptions | undefined;
  return getWithTotal<Answer<P, 'get'>>(pathUrl(path, { ...o, query: undefined }), o?.query as Record<string, string | number | undefined | null>);
}

/** Every page of a documented paged list (bounded), typed by its items; the query is the
 * pages' own (`limit`, `cursor`). */
export async function apiGetAll<P extends PathOf<'get'>>(path: P): Promise<ItemOf<Answer<P, 'get'>>[]> {
  return getAll<ItemOf<Answer<P, 'get'>>>(pathUrl(path));
}

/** An image fetched with the bearer token, as a blob: URL the page may show (revoke it when done). */
export async function imageUrl(path: string): Promise<string> {
  const res = await authorised('GET', path, { accept: 'image/*' });
  if (!res.ok) throw new ApiError(res.status, (await readBody(res)) as { detail?: string });
  return URL.createObjectURL(await res.blob());
}
