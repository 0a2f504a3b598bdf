// The optional base map: none by default (the console must work on a closed network),
// or the tile URL an operator configured with CHECKIN_MAP_TILE_URL and the datum its
// tiles are drawn in. Read once from the server; any failure means "no base map".
import type { Schema } from './api';

/** The server's map settings, each member present (null: none). */
export type MapConfig = Required<Schema<'MapSettings'>>;

const NONE: MapConfig = { tile_url: null, tile_crs: 'wgs84', attribution: null };
let loaded: Promise<MapConfig> | null = null;

export function mapConfig(): Promise<MapConfig> {
  if (!loaded) {
    loaded = fetch('/api/v1/ui-config', { cache: 'no-store', credentials: 'omit', headers: { Accept: 'application/json' } })
      .then(async (res) => {
        if (!res.ok) return NONE;
        const body = ((await res.json()) as { map?: Partial<MapConfig> }).map ?? {};
        return {
          tile_url: typeof body.tile_url === 'string' && body.tile_url ? body.tile_url : null,
          tile_crs: body.tile_crs === 'gcj02' ? 'gcj02' : 'wgs84',
          attribution: typeof body.attribution === 'string' ? body.attribution : null,
        } satisfies MapConfig;
      })
      .catch(() => NONE);
  }
  return loaded;
}
