// The phone page's pure parts: reading a code from a scanned URL, the way to walk to a
// fence, and a sentence for every refusal code. Runs with `npm test` (no browser needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { transformWithEsbuild } from 'vite';

async function load(path) {
  const source = readFileSync(new URL(path, import.meta.url), 'utf8');
  const { code } = await transformWithEsbuild(source, path, { loader: 'ts', format: 'esm' });
  return import(`data:text/javascript,${encodeURIComponent(code)}`);
}
const code = await load('../src/mobile/code.ts');
const walk = await load('../src/mobile/walk.ts');
const words = await load('../src/mobile/words.ts');

// A payload as the server draws it: XX1.<site, base64url>.<r|d>.<step>.<mac>.
const SITE = '0b8e5c1e-7c2a-4f4e-9a51-3f0d2f9c1a77';
const siteField = Buffer.from(SITE.replace(/-/g, ''), 'hex').toString('base64url');
const PAYLOAD = `XX1.${siteField}.r.29462113.AAAAAAAAAAAAAAAAAAAAAA`;

test('a scanned code URL gives its payload; a bare payload stays as it is', () => {
  assert.equal(code.payloadOf(`https://clinic.example.cn/m/#c=${PAYLOAD}`), PAYLOAD);
  assert.equal(code.payloadOf(`  ${PAYLOAD}\n`), PAYLOAD);
  assert.equal(code.payloadOf(`http://192.168.1.5:8080/m/#c=${encodeURIComponent(PAYLOAD)}`), PAYLOAD);
  assert.equal(code.payloadInHash(`#c=${PAYLOAD}`), PAYLOAD);
  assert.equal(code.payloadInHash(''), null);
  assert.equal(code.payloadInHash('#other=1'), null);
});

test('the payload names its site', () => {
  assert.equal(code.siteOfPayload(PAYLOAD), SITE);
  assert.equal(code.siteOfPayload('XX1.short.r.1.x'), null);
  assert.equal(code.siteOfPayload('not a code'), null);
});

// 25.2910 N, 117.4120 E with a 150 m circle, as the browser tests seed it.
const CIRCLE = { type: 'circle', center: { lat: 25.291, lon: 117.412 }, radius_m: 150, crs: 'wgs84' };
const north = (m) => ({ lat: 25.291 + m / 111195, lon: 117.412 });

test('900 m north of a 150 m circle: walk about 750 m south', () => {
  const w = walk.walkTo(north(900), CIRCLE);
  assert.equal(w.zh, '南');
  assert.ok(Math.abs(w.metres - 750) < 2, String(w.metres));
  assert.equal(walk.walkTo(north(100), CIRCLE), null, 'inside: nowhere to walk');
});

test('a polygon fence: the nearest edge, in compass words', () => {
  // A 200 m square around the centre, as GeoJSON [lon, lat].
  const d = 100 / 111195;
  const e = 100 / (111195 * Math.cos(25.291 * Math.PI / 180));
  const ring = [[-e, -d], [e, -d], [e, d], [-e, d], [-e, -d]].map(([x, y]) => [117.412 + x, 25.291 + y]);
  const fence = { type: 'Polygon', coordinates: [ring], crs: 'wgs84' };
  const sw = { lat: 25.291 - 3 * d, lon: 117.412 - 3 * e };
  const w = walk.walkTo(sw, fence);
  assert.equal(w.zh, '东北');
  assert.ok(Math.abs(w.metres - Math.hypot(200, 200)) < 3, String(w.metres));
  assert.equal(walk.walkTo({ lat: 25.291, lon: 117.412 }, fence), null);
});

test('every refusal code of the check-in contract says what to do next, in both languages', () => {
  for (const c of ['code_invalid', 'code_expired', 'code_reused', 'wrong_site', 'no_assignment', 'outside_window',
    'outside_geofence', 'poor_accuracy', 'no_open_visit', 'already_checked_in', 'rotating_code_required',
    'no_presence_check', 'invalid_request', 'forbidden', 'unauthorized', 'rate_limited', 'password_change_required']) {
    const pair = words.REFUSAL[c];
    assert.ok(pair, `no words for ${c}`);
    assert.match(pair[0], /[\u4e00-\u9fff]/, c);
    assert.match(pair[1], /[A-Za-z]/, c);
    assert.ok(pair[0].length > 8 && pair[1].length > 8, c);
  }
});

test('the insecure-context words never give the "allow it in the settings" advice', () => {
  for (const key of ['insecure_banner', 'insecure_camera', 'insecure_location']) {
    assert.match(words.STRINGS.zh[key], /http/);
    assert.doesNotMatch(words.STRINGS.zh[key], /未授权|浏览器设置中允许/);
  }
});

test('every activity kind can be logged', () => {
  for (const kind of words.ACTIVITY_KINDS) assert.ok(words.ACTIVITY[kind], kind);
  assert.equal(words.ACTIVITY_KINDS.length, 16);
  // 教学查房 is its own kind, apart from 查房.
  assert.deepEqual(words.ACTIVITY.teaching_round, ['教学查房', 'Teaching rounds']);
  assert.equal(words.ACTIVITY.ward_round[0], '查房');
});
