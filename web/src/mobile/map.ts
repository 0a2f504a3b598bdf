// The phone's small map: the site's fence, the fix with its accuracy circle, and a line to
// the nearest point of the fence. Leaflet is loaded only when a map is first shown (its own
// chunk, kept by the service worker). No base map unless the operator configured one
// (CHECKIN_MAP_TILE_URL, the console's setting, read from /api/v1/ui-config); on a GCJ-02
// base map the shapes are shifted for display only.
import { forDisplay, type LatLon, type TileCrs } from '../shared/geo';
import { mapConfig } from '../shared/mapConfig';
import type { Fence } from './walk';

export interface Fix { lat: number; lon: number; accuracy_m: number }

let leaflet: Promise<typeof import('leaflet')> | null = null;
function loadLeaflet(): Promise<typeof import('leaflet')> {
  if (!leaflet) {
    leaflet = Promise.all([import('leaflet'), import('leaflet/dist/leaflet.css')])
      .then(([mod]) => (mod as unknown as { default: typeof import('leaflet') }).default ?? mod)
      .catch((e) => { leaflet = null; throw e; });
  }
  return leaflet;
}

/** Draws the map into `host` (replacing what was there); returns a function that removes it. */
export async function drawMap(host: HTMLElement, fence: Fence | null, fix: Fix | null, label: string): Promise<() => void> {
  const [L, config] = await Promise.all([loadLeaflet(), mapConfig()]);
  const crs: TileCrs = config.tile_url ? config.tile_crs : 'wgs84';
  const ll = (p: LatLon): [number, number] => {
    const q = forDisplay(p, crs);
    return [q.lat, q.lon];
  };
  host.replaceChildren();
  host.setAttribute('role', 'img');
  host.setAttribute('aria-label', label);
  host.dataset.tileCrs = config.tile_url ? crs : 'none';
  const map = L.map(host, { attributionControl: !!config.tile_url, zoomControl: true });
  if (config.tile_url) L.tileLayer(config.tile_url, { maxZoom: 19, attribution: config.attribution ?? '' }).addTo(map);
  // Leaflet draws nothing (it throws) on a map without a view: start at the fence or the fix.
  const start = fence?.center ?? fix ?? (() => {
    const first = ((fence?.type === 'Polygon' ? [fence.coordinates] : fence?.coordinates) as number[][][][] | undefined)?.[0]?.[0]?.[0];
    return first ? { lat: first[1], lon: first[0] } : null;
  })();
  if (start) map.setView(ll(start), 16);
  else map.setView([35, 105], 4);
  const shapes = L.featureGroup().addTo(map);
  const style = { color: '#0a7d5a', weight: 2, fillOpacity: 0.15, className: 'fence' };
  if (fence && fence.type === 'circle' && fence.center && typeof fence.radius_m === 'number') {
    L.circle(ll(fence.center), { ...style, radius: fence.radius_m }).addTo(shapes);
  } else if (fence && (fence.type === 'Polygon' || fence.type === 'MultiPolygon')) {
    const polygons = (fence.type === 'Polygon' ? [fence.coordinates] : fence.coordinates) as number[][][][];
    for (const rings of polygons) {
      L.polygon(rings.map((ring) => ring.map(([lon, lat]) => ll({ lat: lat ?? 0, lon: lon ?? 0 }))), style).addTo(shapes);
    }
  }
  if (fix) {
    L.circle(ll(fix), { radius: Math.max(fix.accuracy_m, 1), color: '#1f5fa8', weight: 1, fillOpacity: 0.12, className: 'fix-accuracy' }).addTo(shapes);
    L.circleMarker(ll(fix), { radius: 7, color: '#fff', weight: 2, fillColor: '#1f5fa8', fillOpacity: 1, className: 'fix-marker' }).addTo(shapes);
  }
  L.control.scale({ imperial: false }).addTo(map);
  const bounds = shapes.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds.pad(0.2), { maxZoom: 18 });
  // The map may be drawn into a card that has only just been shown.
  requestAnimationFrame(() => { map.invalidateSize(); if (bounds.isValid()) map.fitBounds(bounds.pad(0.2), { maxZoom: 18 }); });
  return () => map.remove();
}
