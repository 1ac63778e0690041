// Which mappings are paged out, the perl program's arguments, the log lines, and what
// pageOutCode says when it cannot (nothing to page out, a bad or gone pid). The
// page-out itself and a missing perl, on a real bpftrace: test/kernel/code-pages.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { codeMappings, pageOutCode, pageOutLines, rangeArgs, type PageOutResult } from '../../src/probe/code-page-out.js';
import { parseMaps } from '../../src/host/proc-maps.js';

test('the compiler libraries\' read-only mappings only, as hex start-end ranges', () => {
  const maps = parseMaps([
    '7f3c60000000-7f3c60800000 r--p 00000000 fd:01 11 /usr/lib/x86_64-linux-gnu/libLLVM-14.so.1',
    '7f3c60800000-7f3c64000000 r-xp 00800000 fd:01 11 /usr/lib/x86_64-linux-gnu/libLLVM-14.so.1',
    '7f3c64000000-7f3c64200000 rw-p 03800000 fd:01 11 /usr/lib/x86_64-linux-gnu/libLLVM-14.so.1',
    '7f3c65000000-7f3c66000000 r-xp 00000000 fd:01 12 /usr/lib/x86_64-linux-gnu/libclang-cpp.so.19.1',
    '7f3c67000000-7f3c67100000 r-xp 00000000 fd:01 13 /usr/lib/llvm-19/lib/libLLVM.so.19.1',
    '7f3c6a000000-7f3c6a1c4000 r-xp 00000000 fd:01 1234 /usr/lib/x86_64-linux-gnu/libc.so.6',
    '7f3c6b000000-7f3c6b100000 r-xp 00000000 fd:01 1235 /usr/lib/x86_64-linux-gnu/libLLVMish-helper.so',
    '7f3c40000000-7f3c60000000 rw-p 00000000 00:00 0',
    '55d0c8a00000-55d0c8a21000 r-xp 00000000 fd:01 99 /usr/bin/bpftrace',
    'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]',
  ].join('\n'));
  assert.deepEqual(rangeArgs(codeMappings(maps)), [
    '7f3c60000000-7f3c60800000', '7f3c60800000-7f3c64000000', '7f3c65000000-7f3c66000000', '7f3c67000000-7f3c67100000',
  ]);
});

test('none in a process without the compiler (this node)', () => {
  assert.deepEqual(codeMappings(parseMaps(readFileSync('/proc/self/maps', 'utf8'))), []);
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

test('nothing to page out, a bad pid, a gone process: a reason, never a throw', async () => {
  assert.deepEqual(await pageOutCode(process.pid), { ok: false, reason: 'no LLVM or clang library mapped (a static bpftrace?)' });
  assert.deepEqual(await pageOutCode(-1), { ok: false, reason: 'bad pid -1' });
  assert.deepEqual(await pageOutCode(0x3fffffff), { ok: false, reason: `process ${0x3fffffff} is gone` });
});
