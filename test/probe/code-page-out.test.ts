// Which mappings are paged out, the perl program's arguments, the log lines, and what
// pageOutCode says when it cannot (no perl, a bad or gone pid). The page-out itself,
// on a real bpftrace: test/kernel/code-pages.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { codeMappings, pageOutCode, pageOutLines, rangeArgs, type PageOutResult } from '../../src/probe/code-page-out.js';
import { parseMaps } from '../../src/host/proc-maps.js';

test('code mappings: read-only file mappings only, from a real /proc/self/maps', () => {
  const all = parseMaps(readFileSync('/proc/self/maps', 'utf8'));
  const code = codeMappings(all);
  assert.ok(code.some((m) => m.path === process.execPath || m.path.endsWith('/node')), 'node\'s text is code');
  assert.ok(code.every((m) => m.path.startsWith('/') && !m.perms.includes('w')));
  const left = all.filter((m) => !code.includes(m));
  assert.ok(left.some((m) => m.path === '[heap]' || m.path === ''), 'anonymous memory is left alone');
  assert.ok(left.some((m) => m.path.startsWith('/') && m.perms.startsWith('rw')), 'a library\'s writable data is left alone');
});

test('range arguments are hex start-end, as the perl program splits them', () => {
  const maps = parseMaps([
    '7f3c6a000000-7f3c6a1c4000 r-xp 00000000 fd:01 1234 /usr/lib/x86_64-linux-gnu/libc.so.6',
    '7f3c6a1c4000-7f3c6a1c8000 rw-p 001c4000 fd:01 1234 /usr/lib/x86_64-linux-gnu/libc.so.6',
    '7f3c40000000-7f3c60000000 rw-p 00000000 00:00 0',
    'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]',
    '55d0c8a00000-55d0c8a21000 r--p 00000000 fd:01 99 /usr/bin/bpftrace (deleted)',
  ].join('\n'));
  assert.deepEqual(rangeArgs(codeMappings(maps)), ['7f3c6a000000-7f3c6a1c4000', '55d0c8a00000-55d0c8a21000']);
});

test('one log line per bpftrace, naming the groups only when there are several', () => {
  const shared: PageOutResult = { ok: true, rssBeforeBytes: 109.1 * 1048576, rssAfterBytes: 42 * 1048576 };
  assert.deepEqual(pageOutLines([['faults', shared], ['kvm', shared], ['reclaim', undefined]]),
    ["faultline:   bpftrace's compiler pages given back: RSS 109.1 -> 42.0 MiB"]);
  const failed: PageOutResult = { ok: false, reason: 'perl not found' };
  assert.deepEqual(pageOutLines([['faults', shared], ['kvm', failed]]), [
    "faultline:   bpftrace's compiler pages (faults) given back: RSS 109.1 -> 42.0 MiB",
    "faultline:   bpftrace's compiler pages (kvm) stay resident: perl not found",
  ]);
});

test('no perl, a bad pid, a gone process: a reason, never a throw', async () => {
  assert.deepEqual(await pageOutCode(process.pid, '/nonexistent/perl'), { ok: false, reason: '/nonexistent/perl not found' });
  assert.deepEqual(await pageOutCode(-1), { ok: false, reason: 'bad pid -1' });
  assert.deepEqual(await pageOutCode(0x3fffffff), { ok: false, reason: `process ${0x3fffffff} is gone` });
});
