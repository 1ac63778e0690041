// The golden tests' diff (json-diff.ts): every kind of difference shows as its path
// with the expected and the actual value, and equal values show nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffJson, formatDifferences } from './json-diff.js';

test('equal values, however nested, have no differences', () => {
  const value = { a: 1, b: [1, 2, { c: 'x', d: null }], e: { f: true, g: [] }, rows: [{ id: 'a', n: 1 }] };
  assert.deepEqual(diffJson(value, structuredClone(value)), []);
  assert.deepEqual(diffJson(3, 3), []);
  assert.deepEqual(diffJson([], []), []);
});

test('a changed leaf is one difference at its path', () => {
  assert.deepEqual(diffJson({ a: { b: [1, 2, 3] } }, { a: { b: [1, 5, 3] } }), [{ path: '$.a.b[1]', expected: 2, actual: 5 }]);
  assert.deepEqual(diffJson({ s: 'x' }, { s: 'y' }), [{ path: '$.s', expected: 'x', actual: 'y' }]);
  assert.deepEqual(diffJson({ t: true }, { t: false }), [{ path: '$.t', expected: true, actual: false }]);
  assert.deepEqual(diffJson({ '@fault user': 1 }, { '@fault user': 2 }), [{ path: '$["@fault user"]', expected: 1, actual: 2 }]);
});

test('a missing or extra key, or element, shows as absent on that side', () => {
  assert.deepEqual(diffJson({ a: 1, b: 2 }, { a: 1, c: 3 }), [
    { path: '$.b', expected: 2, actual: undefined },
    { path: '$.c', expected: undefined, actual: 3 },
  ]);
  assert.deepEqual(diffJson([1, 2], [1, 2, 3]), [{ path: '$[2]', expected: undefined, actual: 3 }]);
  assert.deepEqual(diffJson([1, 2], [1]), [{ path: '$[1]', expected: 2, actual: undefined }]);
});

test('a change of type is one difference, not a walk inside', () => {
  assert.deepEqual(diffJson({ a: [1] }, { a: { 0: 1 } }), [{ path: '$.a', expected: [1], actual: { 0: 1 } }]);
  assert.deepEqual(diffJson({ a: null }, { a: 0 }), [{ path: '$.a', expected: null, actual: 0 }]);
  assert.deepEqual(diffJson({ a: '1' }, { a: 1 }), [{ path: '$.a', expected: '1', actual: 1 }]);
});

test('rows with ids are matched by id: one row gone is one difference, not a shift', () => {
  const a = { id: '1@0', n: 1 };
  const b = { id: '2@0', n: 2 };
  const c = { id: '3@0', n: 3 };
  assert.deepEqual(diffJson({ vms: [a, b, c] }, { vms: [a, c] }), [{ path: '$.vms[id=2@0]', expected: b, actual: undefined }]);
  assert.deepEqual(diffJson({ vms: [a] }, { vms: [a, b] }), [{ path: '$.vms[id=2@0]', expected: undefined, actual: b }]);
  assert.deepEqual(diffJson({ vms: [a, b] }, { vms: [a, { ...b, n: 5 }] }), [{ path: '$.vms[id=2@0].n', expected: 2, actual: 5 }]);
  assert.deepEqual(diffJson({ vms: [a, b] }, { vms: [b, a] }), [{ path: '$.vms (order of ids)', expected: ['1@0', '2@0'], actual: ['2@0', '1@0'] }]);
  // duplicate ids: by index
  assert.deepEqual(diffJson([a, a], [a, b]), [{ path: '$[1].id', expected: '1@0', actual: '2@0' }, { path: '$[1].n', expected: 1, actual: 2 }]);
});

test('integers compare exactly; other numbers within the relative tolerance', () => {
  assert.deepEqual(diffJson({ n: 16448 }, { n: 16449 }, { relTolerance: 0.1 }), [{ path: '$.n', expected: 16448, actual: 16449 }]);
  assert.deepEqual(diffJson({ r: 0.1 + 0.2 }, { r: 0.3 }, { relTolerance: 1e-9 }), []);
  assert.equal(diffJson({ r: 0.1 + 0.2 }, { r: 0.3 }).length, 1, 'no tolerance by default');
  assert.equal(diffJson({ r: 2105088.6 }, { r: 2105089.6 }, { relTolerance: 1e-9 }).length, 1);
});

test('the report lists each difference on a line, values as JSON, long ones cut', () => {
  const text = formatDifferences([
    { path: '$.a', expected: 1, actual: 2 },
    { path: '$.b', expected: undefined, actual: { x: 'y' } },
    { path: '$.c', expected: 'x'.repeat(300), actual: null },
  ], 40, 20);
  assert.equal(text, [
    '  $.a: expected 1, actual 2',
    '  $.b: expected (absent), actual {"x":"y"}',
    `  $.c: expected "${'x'.repeat(16)}..., actual null`,
  ].join('\n'));
  const many = Array.from({ length: 5 }, (_, i) => ({ path: `$[${i}]`, expected: i, actual: -i }));
  assert.equal(formatDifferences(many, 2).split('\n').at(-1), '  ... and 3 more');
});
