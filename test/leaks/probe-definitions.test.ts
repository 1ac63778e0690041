// Stale uprobe/kprobe definitions (src/leaks/probe-definitions.ts): the names and
// lines are real, copied from this VM's /sys/kernel/tracing/uprobe_events after
// bpftrace 0.17 failed to attach beside memleak-bpfcc (bcc's tracefs fallback).
// Removal runs against a plain directory standing in for tracefs: the written
// "-:NAME" lines are what tracefs would get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownerPidOf, parseProbeDefinitions, removeStaleDefinitions, staleDefinitions } from '../../src/leaks/probe-definitions.js';

const REAL = [
  'p:uprobes/p__usr_lib_x86_64_linux_gnu_libc_so_6_101a00_1_bcc_16808 /usr/lib/x86_64-linux-gnu/libc.so.6:0x0000000000101a00',
  'r:uprobes/r__usr_lib_x86_64_linux_gnu_libc_so_6_98930_1_bcc_16876 /usr/lib/x86_64-linux-gnu/libc.so.6:0x0000000000098930',
].join('\n');

test('owner pids: bcc names end in _bcc_PID, libbpf legacy names start libbpf_PID_, others have none', () => {
  assert.equal(ownerPidOf('uprobes/p__usr_lib_x86_64_linux_gnu_libc_so_6_101a00_1_bcc_16808'), 16808);
  assert.equal(ownerPidOf('uprobes/libbpf_4242_malloc_0x98930_0'), 4242);
  assert.equal(ownerPidOf('probe_libc/malloc'), null);
  assert.equal(ownerPidOf('uprobes/holder_bcc_12x'), null);
});

test('parse: real lines, a kretprobe with maxactive, garbage skipped', () => {
  const defs = parseProbeDefinitions(`${REAL}\nr16:kprobes/r_vfs_read_bcc_77 vfs_read\nnot a definition\n`, 'uprobe_events');
  assert.deepEqual(defs.map((d) => [d.name, d.ownerPid]), [
    ['uprobes/p__usr_lib_x86_64_linux_gnu_libc_so_6_101a00_1_bcc_16808', 16808],
    ['uprobes/r__usr_lib_x86_64_linux_gnu_libc_so_6_98930_1_bcc_16876', 16876],
    ['kprobes/r_vfs_read_bcc_77', 77],
  ]);
});

test('stale: only definitions whose owner is known and gone', () => {
  const defs = parseProbeDefinitions(`${REAL}\np:uprobes/by_hand /bin/true:0x10`, 'uprobe_events');
  assert.deepEqual(staleDefinitions(defs, (pid) => pid === 16876).map((d) => d.ownerPid), [16808]);
  assert.deepEqual(staleDefinitions(defs, () => true), []);
});

test('removal writes -:NAME for each stale one to the file it is listed in', () => {
  const root = mkdtempSync(join(tmpdir(), 'fl-defs-'));
  try {
    const tracefs = join(root, 'tracing');
    mkdirSync(tracefs);
    mkdirSync(join(root, 'proc', '16876'), { recursive: true });
    writeFileSync(join(tracefs, 'uprobe_events'), `${REAL}\n`);
    const result = removeStaleDefinitions(tracefs, join(root, 'proc'));
    assert.deepEqual(result.removed, ['uprobes/p__usr_lib_x86_64_linux_gnu_libc_so_6_101a00_1_bcc_16808']);
    assert.ok(readFileSync(join(tracefs, 'uprobe_events'), 'utf8').endsWith('-:uprobes/p__usr_lib_x86_64_linux_gnu_libc_so_6_101a00_1_bcc_16808\n'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
