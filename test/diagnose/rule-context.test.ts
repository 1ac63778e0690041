// How the diagnosis names its subjects (src/diagnose/rule-context.ts subjectText), on
// synthetic rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subjectText } from '../../src/diagnose/rule-context.js';
import { vmRow } from '../detect/snapshots.js';

test('a VM by its name, a process by its name and pid, one known by its pid only once', () => {
  assert.equal(subjectText(vmRow({ id: '1@1', pid: 1, kind: 'vm', name: 'web01' })), 'web01 (VM)');
  assert.equal(subjectText(vmRow({ id: '2@1', pid: 2, name: 'node leaker.js' })), 'node leaker.js (pid 2)');
  assert.equal(subjectText(vmRow({ id: '3@1', pid: 3, name: 'pid 3' })), 'pid 3');
  assert.equal(subjectText(vmRow({ id: '4@1', pid: 4, name: 'pid 3' })), 'pid 3 (pid 4)', 'a process whose name only looks like another pid');
});
