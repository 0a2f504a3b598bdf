// The holiday schedule as typed from the State Council's notice, one date a line.
// Runs with `npm test` (no browser needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { transformWithEsbuild } from 'vite';

const source = readFileSync(new URL('../src/console/holidays.ts', import.meta.url), 'utf8');
const { code } = await transformWithEsbuild(source, 'holidays.ts', { loader: 'ts', format: 'esm' });
const holidays = await import(`data:text/javascript,${encodeURIComponent(code)}`);

test('holidays and weekend workdays are read line by line, blank lines skipped', () => {
  const parsed = holidays.parseScheduleLines('2027-01-01 放假 元旦\n\n2027-02-07  上班  春节调休\n2027-02-08 holiday\n');
  assert.deepEqual(parsed, {
    ok: true,
    days: [
      { date: '2027-01-01', kind: 'holiday', name: '元旦' },
      { date: '2027-02-07', kind: 'workday', name: '春节调休' },
      { date: '2027-02-08', kind: 'holiday', name: '' },
    ],
  });
});

test('the first unreadable line is named with its number', () => {
  assert.deepEqual(holidays.parseScheduleLines('2027-01-01 放假 元旦\n2027/01/02 放假'), { ok: false, line: 2, text: '2027/01/02 放假' });
  assert.deepEqual(holidays.parseScheduleLines('2027-01-03 休息日'), { ok: false, line: 1, text: '2027-01-03 休息日' });
});
