// Geometry for drawing: distances, and the shift from WGS-84 (what the server stores)
// to GCJ-02 (what 高德 and other Chinese commercial tiles are drawn in). The shift is
// only ever applied for display, on a GCJ-02 base map, so fences and fixes line up with
// the streets; nothing shifted is sent back to the server.

import type { Schema } from './api';

const EARTH_M = 6371008.8;
const RAD = Math.PI / 180;

export interface LatLon {
  lat: number;
  lon: number;
}

export function haversineM(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

// The published GCJ-02 obfuscation (Krasovsky 1940 ellipsoid), as every open
// implementation writes it. Outside mainland China the offset is not applied.
const A = 6378245.0;
const EE = 0.006693421622965943;

function outOfChina(p: LatLon): boolean {
  return p.lon < 72.004 || p.lon > 137.8347 || p.lat < 0.8293 || p.lat > 55.8271;
}

function shiftLat(x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function shiftLon(x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

export function wgs84ToGcj02(p: LatLon): LatLon {
  if (outOfChina(p)) return { ...p };
  const x = p.lon - 105;
  const y = p.lat - 35;
  let dLat = shiftLat(x, y);
  let dLon = shiftLon(x, y);
  const radLat = p.lat * RAD;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return { lat: p.lat + dLat, lon: p.lon + dLon };
}

export type TileCrs = Schema<'TileCrs'>;

/** The position to draw a WGS-84 point at on a base map in `crs`. */
export function forDisplay(p: LatLon, crs: TileCrs): LatLon {
  return crs === 'gcj02' ? wgs84ToGcj02(p) : p;
}

/** GCJ-02 back to WGS-84 by iterating the forward shift (as the server does). */
export function gcj02ToWgs84(gcj: LatLon): LatLon {
  if (outOfChina(gcj)) return { ...gcj };
  let w = { ...gcj };
  for (let i = 0; i < 30; i += 1) {
    const f = wgs84ToGcj02(w);
    const eLat = f.lat - gcj.lat;
    const eLon = f.lon - gcj.lon;
    w = { lat: w.lat - eLat, lon: w.lon - eLon };
    if (Math.abs(eLat) < 1e-12 && Math.abs(eLon) < 1e-12) break;
  }
  return w;
}

const BD_X_PI = (Math.PI * 3000) / 180;

export function gcj02ToBd09(p: LatLon): LatLon {
  const z = Math.sqrt(p.lon * p.lon + p.lat * p.lat) + 0.00002 * Math.sin(p.lat * BD_X_PI);
  const theta = Math.atan2(p.lat, p.lon) + 0.000003 * Math.cos(p.lon * BD_X_PI);
  return { lat: z * Math.sin(theta) + 0.006, lon: z * Math.cos(theta) + 0.0065 };
}

export function bd09ToGcj02(p: LatLon): LatLon {
  const x = p.lon - 0.0065;
  const y = p.lat - 0.006;
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * BD_X_PI);
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * BD_X_PI);
  return { lat: z * Math.sin(theta), lon: z * Math.cos(theta) };
}

/** The datums a fence's coordinates may be given in (the server converts them). */
export type InputCrs = 'wgs84' | 'gcj02' | 'bd09';

/** A point given in `crs` as WGS-84: only for drawing a draft; the server converts for real. */
export function toWgs84(p: LatLon, crs: InputCrs): LatLon {
  if (crs === 'gcj02') return gcj02ToWgs84(p);
  if (crs === 'bd09') return gcj02ToWgs84(bd09ToGcj02(p));
  return { ...p };
}

/** A WGS-84 point written in `crs` (a point picked on the map, for a draft in that datum). */
export function fromWgs84(p: LatLon, crs: InputCrs): LatLon {
  if (crs === 'gcj02') return wgs84ToGcj02(p);
  if (crs === 'bd09') return gcj02ToBd09(wgs84ToGcj02(p));
  return { ...p };
}

/** The WGS-84 point under a position drawn on a base map in `crs` (the inverse of forDisplay). */
export function fromDisplay(p: LatLon, crs: TileCrs): LatLon {
  return crs === 'gcj02' ? gcj02ToWgs84(p) : p;
}
