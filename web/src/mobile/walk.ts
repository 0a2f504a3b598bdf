// Which way and how far to walk to reach a site's check-in fence: the distance from the
// fix to the fence's edge (zero inside) and the compass direction of the nearest point
// of the fence, in the words a physician reads on the phone (向东北走约 120 米).
// Distances in a local flat frame around the fix: fences are a few hundred metres.

export interface Point { lat: number; lon: number }
/**
 * A fence as the server gives it (WGS-84): `{type: "circle", center, radius_m}`, or a
 * GeoJSON `Polygon`/`MultiPolygon` (`[lon, lat]` positions, first ring outer).
 */
export interface Fence {
  type: string;
  center?: Point;
  radius_m?: number;
  coordinates?: unknown;
}

const EARTH_M = 6371008.8;
const RAD = Math.PI / 180;

/** `p` in metres east (x) and north (y) of `origin`. */
function local(origin: Point, p: Point): { x: number; y: number } {
  return {
    x: (p.lon - origin.lon) * RAD * EARTH_M * Math.cos(origin.lat * RAD),
    y: (p.lat - origin.lat) * RAD * EARTH_M,
  };
}

/** The outer rings of a polygon fence (holes are left out: the map draws the outline). */
export function ringsOf(fence: Fence): Point[][] {
  const polygons = (fence.type === 'Polygon' ? [fence.coordinates] : fence.type === 'MultiPolygon' ? fence.coordinates : []) as unknown[];
  const out: Point[][] = [];
  for (const polygon of Array.isArray(polygons) ? polygons : []) {
    const outer = Array.isArray(polygon) ? polygon[0] : null;
    if (!Array.isArray(outer)) continue;
    out.push(outer.filter((p) => Array.isArray(p) && p.length >= 2).map((p: number[]) => ({ lat: p[1], lon: p[0] })));
  }
  return out;
}

function inside(ring: { x: number; y: number }[]): boolean {
  // Ray casting from the origin (the fix) along +x.
  let hit = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const a = ring[i];
    const b = ring[j];
    if ((a.y > 0) !== (b.y > 0) && 0 < ((b.x - a.x) * (0 - a.y)) / (b.y - a.y) + a.x) hit = !hit;
  }
  return hit;
}

/** The nearest point of the fence's edge to `fix`, in the local frame, or null. */
function nearest(fix: Point, fence: Fence): { x: number; y: number; inside: boolean } | null {
  if (fence.type === 'circle' && fence.center && fence.radius_m != null) {
    const c = local(fix, fence.center);
    const d = Math.hypot(c.x, c.y);
    if (d <= fence.radius_m) return { x: 0, y: 0, inside: true };
    const k = (d - fence.radius_m) / d;
    return { x: c.x * k, y: c.y * k, inside: false };
  }
  const rings = ringsOf(fence).map((r) => r.map((p) => local(fix, p))).filter((r) => r.length >= 3);
  if (!rings.length) return null;
  if (rings.some(inside)) return { x: 0, y: 0, inside: true };
  let best: { x: number; y: number } | null = null;
  for (const ring of rings) for (let i = 0; i < ring.length; i += 1) {
    const a = ring[i];
    const b = ring[(i + 1) % ring.length];
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = dx * dx + dy * dy;
    const t = len ? Math.max(0, Math.min(1, -(a.x * dx + a.y * dy) / len)) : 0;
    const q = { x: a.x + t * dx, y: a.y + t * dy };
    if (!best || Math.hypot(q.x, q.y) < Math.hypot(best.x, best.y)) best = q;
  }
  return best && { ...best, inside: false };
}

const ZH = ['北', '东北', '东', '东南', '南', '西南', '西', '西北'];
const EN = ['north', 'north-east', 'east', 'south-east', 'south', 'south-west', 'west', 'north-west'];

export interface Walk { metres: number; bearing: number; zh: string; en: string }

/** Where to walk from `fix` to reach the fence; null when already inside or the fence is unusable. */
export function walkTo(fix: Point, fence: Fence): Walk | null {
  const n = nearest(fix, fence);
  if (!n || n.inside) return null;
  const metres = Math.hypot(n.x, n.y);
  const bearing = ((Math.atan2(n.x, n.y) / RAD) + 360) % 360;
  const sector = Math.round(bearing / 45) % 8;
  return { metres, bearing, zh: ZH[sector], en: EN[sector] };
}
