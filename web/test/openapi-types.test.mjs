// The web's server types (src/shared/openapi.d.ts) are generated from the checked-in
// document (../schemas/openapi.json) by `npm run api-types`; these tests fail when the
// committed file is stale, so a document change whose types were not regenerated (and
// whose renamed or removed fields were not followed in the views) is caught by `npm test`
// as well as by `npm run build`. Runs with `npm test` (no browser needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = fileURLToPath(new URL('..', import.meta.url));
const cli = join(web, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
const script = JSON.parse(readFileSync(join(web, 'package.json'), 'utf8')).scripts['api-types'];

/** The `api-types` script's arguments (so this test checks what the build generates),
 * with the document swapped for `document` when given, plus `--check`. */
function check(document) {
  const [command, input, ...rest] = script.trim().split(/\s+/);
  assert.equal(command, 'openapi-typescript');
  assert.equal(input, '../schemas/openapi.json');
  return spawnSync(process.execPath, [cli, document ?? input, ...rest, '--check'], { cwd: web, encoding: 'utf8' });
}

test('src/shared/openapi.d.ts is up to date with schemas/openapi.json (else: npm run api-types)', () => {
  const run = check();
  assert.equal(run.status, 0, `openapi-typescript --check failed:\n${run.stdout}\n${run.stderr}`);
});

test('the check fails when the document renames a field the committed types have', () => {
  const doc = JSON.parse(readFileSync(join(web, '..', 'schemas', 'openapi.json'), 'utf8'));
  const visit = doc.components.schemas.Visit;
  assert.ok(visit.properties.local_date, 'Visit.local_date is documented');
  visit.properties.service_date = visit.properties.local_date;
  delete visit.properties.local_date;
  visit.required = visit.required.map((f) => (f === 'local_date' ? 'service_date' : f));
  const dir = mkdtempSync(join(tmpdir(), 'xiaxiang-openapi-'));
  try {
    const renamed = join(dir, 'openapi.json');
    writeFileSync(renamed, JSON.stringify(doc));
    const run = check(renamed);
    assert.notEqual(run.status, 0, 'a renamed field must make the committed types stale');
    assert.match(run.stdout + run.stderr, /not up-to-date/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
