// The phone page's service worker (scope /m/): keeps the page, its hashed assets and the
// QR decoder so /m/ opens with no network after one visit, and uploads the offline queue
// on Background Sync when no page is open (a page that is open uploads it itself).
// Self-contained on purpose: an `import` would make it a module worker, which not every
// browser the physicians carry can run. The stores are db.ts's (same names, same version).

interface SwEvent extends Event { waitUntil(work: Promise<unknown>): void }
interface SwFetchEvent extends SwEvent { request: Request; respondWith(answer: Promise<Response>): void }
interface SwSyncEvent extends SwEvent { tag: string }
interface SwClient { postMessage(message: unknown): void }
interface SwScope {
  location: Location;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void>; matchAll(options?: { type?: string }): Promise<SwClient[]> };
  addEventListener(type: 'install' | 'activate', listener: (event: SwEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: SwFetchEvent) => void): void;
  addEventListener(type: 'sync', listener: (event: SwSyncEvent) => void): void;
}
const scope = self as unknown as SwScope;

const CACHE = 'xiaxiang-m';
const PAGE = '/m/';
const SHELL = [PAGE, '/m/manifest.webmanifest', '/m/icon.svg', '/m/vendor/jsQR.js'];
const SYNC_TAG = 'xiaxiang-queue';

/** The hashed files a page or script names (the map's chunk is named only in the script). */
function assetsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/assets\/[A-Za-z0-9_.-]+\.(?:js|css|png|svg)/g)].map((m) => '/m/' + m[0]))];
}

/** Caches the page's assets and drops those of older builds. */
async function keepAssetsOf(html: string): Promise<void> {
  const cache = await caches.open(CACHE);
  const wanted = new Set(assetsIn(html));
  for (const url of [...wanted]) {
    let res = await cache.match(url);
    if (!res) {
      res = await fetch(url);
      if (!res.ok) continue;
      await cache.put(url, res.clone());
    }
    if (url.endsWith('.js')) for (const more of assetsIn(await res.text())) wanted.add(more);
  }
  for (const more of wanted) if (!(await cache.match(more))) {
    const res = await fetch(more);
    if (res.ok) await cache.put(more, res);
  }
  for (const req of await cache.keys()) {
    const path = new URL(req.url).pathname;
    if (path.startsWith('/m/assets/') && !wanted.has(path)) await cache.delete(req);
  }
}

scope.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL);
    const page = await cache.match(PAGE);
    if (page) await keepAssetsOf(await page.text());
    await scope.skipWaiting();
  })());
});

scope.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await scope.clients.claim();
  })());
});

/** The page from the network when there is one (a new build is picked up at once), else the copy. */
async function page(request: Request): Promise<Response> {
  try {
    const res = await fetch(request);
    if (res.ok) {
      const cache = await caches.open(CACHE);
      await cache.put(PAGE, res.clone());
      keepAssetsOf(await res.clone().text()).catch(() => undefined);
    }
    return res;
  } catch (e) {
    const copy = await caches.match(PAGE);
    if (copy) return copy;
    throw e;
  }
}

/** Hashed assets never change; the shell files are refreshed behind the copy. */
async function file(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const copy = await cache.match(request, { ignoreSearch: true });
  const fresh = fetch(request).then(async (res) => {
    if (res.ok) await cache.put(request, res.clone());
    return res;
  });
  if (copy) {
    fresh.catch(() => undefined);
    return copy;
  }
  return fresh;
}

scope.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== scope.location.origin || !url.pathname.startsWith('/m/')) return;
  if (request.mode === 'navigate' || url.pathname === PAGE) event.respondWith(page(request));
  else if (url.pathname.startsWith('/m/assets/') || SHELL.includes(url.pathname)) event.respondWith(file(request));
});

// ---- Background Sync: the queue, sent by the worker when no page is open ----------------------

interface Queued { id: string; user_id?: string; action: 'check_in' | 'check_out'; body: Record<string, unknown>; site_tz?: string }
interface StoredSession { access_token: string; user: { id: string } }

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('xiaxiang-m', 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('queue')) db.createObjectStore('queue', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('sent')) db.createObjectStore('sent', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('session')) db.createObjectStore('session');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
function request<T>(db: IDBDatabase, store: string, mode: IDBTransactionMode, work: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = work(tx.objectStore(store));
    tx.oncomplete = () => resolve(req.result as T);
    tx.onerror = () => reject(tx.error);
  });
}

const PATHS = { check_in: '/api/v1/attendance/check-in', check_out: '/api/v1/attendance/check-out' };

/** Sends the signed-in physician's queued scans in order; stops at the first that must wait. */
async function upload(): Promise<void> {
  const db = await openDb();
  const session = await request<StoredSession | undefined>(db, 'session', 'readonly', (s) => s.get('current'));
  if (!session) return;
  const items = (await request<Queued[]>(db, 'queue', 'readonly', (s) => s.getAll()))
    .filter((i) => !i.user_id || i.user_id === session.user.id)
    .sort((a, b) => String(a.body.scanned_at).localeCompare(String(b.body.scanned_at)));
  for (const item of items) {
    const res = await fetch(PATHS[item.action], {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: 'Bearer ' + session.access_token },
      body: JSON.stringify({ ...item.body, offline: true }),
    });
    // An expired token, a busy or failing server: the page sends it when next opened.
    if (res.status === 401 || res.status === 429 || res.status >= 500) throw new Error('retry later');
    const answer = await res.json().catch(() => ({}));
    await request(db, 'sent', 'readwrite', (s) => s.put({ id: item.id, action: item.action, status: res.status, answer, scanned_at: item.body.scanned_at, site_tz: item.site_tz }));
    await request(db, 'queue', 'readwrite', (s) => s.delete(item.id));
  }
}

scope.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil((async () => {
    const pages = await scope.clients.matchAll({ type: 'window' });
    if (pages.length) {
      for (const p of pages) p.postMessage({ type: 'flush-queue' });
      return;
    }
    await upload();
  })());
});
