// The phone's own storage in IndexedDB (database `xiaxiang-m`), shared with the service
// worker (sw.ts opens the same stores with the same names and version):
//   queue    scans made with no network, waiting to be sent (key: client_event_id);
//   sent     answers the worker got while uploading with no page open, for the page to show;
//   session  a copy of the session, so the worker can upload on Background Sync.
// IndexedDB survives browser restarts, unlike a page's memory; localStorage would too but
// the worker cannot read it.

export const DB_NAME = 'xiaxiang-m';
export const DB_VERSION = 1;

export function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
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

let opened: Promise<IDBDatabase> | null = null;
function db(): Promise<IDBDatabase> {
  if (!opened) opened = openDb().catch((e) => { opened = null; throw e; });
  return opened;
}

function run<T>(store: string, mode: IDBTransactionMode, work: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return db().then((d) => new Promise<T>((resolve, reject) => {
    const tx = d.transaction(store, mode);
    const req = work(tx.objectStore(store));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  }));
}

export const all = <T>(store: string): Promise<T[]> => run<T[]>(store, 'readonly', (s) => s.getAll() as IDBRequest<T[]>);
export const put = (store: string, value: unknown, key?: IDBValidKey): Promise<IDBValidKey> =>
  run(store, 'readwrite', (s) => s.put(value, key));
export const remove = (store: string, key: IDBValidKey): Promise<undefined> => run(store, 'readwrite', (s) => s.delete(key));
export const read = <T>(store: string, key: IDBValidKey): Promise<T | undefined> =>
  run<T | undefined>(store, 'readonly', (s) => s.get(key) as IDBRequest<T | undefined>);
