// The display shift to GCJ-02, checked against the reference point every open
// implementation of the published algorithm agrees on (Tiananmen, Beijing), and left
// alone outside mainland China. Runs with `npm test` (no browser needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { transformWithEsbuild } from 'vite';

const source = readFileSync(new URL('../src/shared/geo.ts', import.meta.url), 'utf8');
const { code } = await transformWithEsbuild(source, 'geo.ts', { loader: 'ts', format: 'esm' });
const geo = await import(`data:text/javascript,${encodeURIComponent(code)}`);

test('a WGS-84 point in Beijing shifts to its GCJ-02 reference', () => {
  const shifted = geo.wgs84ToGcj02({ lat: 39.915, lon: 116.404 });
  assert.ok(Math.abs(shifted.lat - 39.91640428150164) < 1e-9, String(shifted.lat));
  assert.ok(Math.abs(shifted.lon - 116.41024449916938) < 1e-9, String(shifted.lon));
  // A few hundred metres: the offset the tiles carry.
  const metres = geo.haversineM({ lat: 39.915, lon: 116.404 }, shifted);
  assert.ok(metres > 400 && metres < 700, `${metres} m`);
});

test('outside China nothing moves, and WGS-84 tiles need no shift', () => {
  assert.deepEqual(geo.wgs84ToGcj02({ lat: 48.85, lon: 2.35 }), { lat: 48.85, lon: 2.35 });
  assert.deepEqual(geo.forDisplay({ lat: 25.29, lon: 117.41 }, 'wgs84'), { lat: 25.29, lon: 117.41 });
});

test('a point converted to GCJ-02 or BD-09 and back lands where it was (GCJ-02 within a millimetre, BD-09 within the published inverse’s few centimetres)', () => {
  const p = { lat: 25.291, lon: 117.412 };
  for (const crs of ['wgs84', 'gcj02', 'bd09']) {
    const back = geo.toWgs84(geo.fromWgs84(p, crs), crs);
    assert.ok(geo.haversineM(p, back) < (crs === 'bd09' ? 0.05 : 0.001), `${crs}: ${geo.haversineM(p, back)} m`);
  }
  // BD-09 is GCJ-02 moved by several hundred metres more.
  const bd = geo.fromWgs84(p, 'bd09');
  assert.ok(geo.haversineM(p, bd) > 500, `${geo.haversineM(p, bd)} m`);
  assert.deepEqual(geo.fromDisplay(p, 'wgs84'), p);
});
