import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMeminfo, parsePressure, parseVmstat, readHostMemory, vmstatDelta } from '../../src/host/host-memory.js';
import { FIXTURES_DIR } from '../fixtures/proc/synthetic-cmdlines.js';

const read = (path: string): string => readFileSync(join(FIXTURES_DIR, path), 'utf8');

test('real meminfo: every line, kB in bytes, keys as written, unit-less lines as is', () => {
  const meminfo = parseMeminfo(read('real-debian12-sleep/meminfo'));
  assert.equal(Object.keys(meminfo).length, 54);
  assert.equal(meminfo.MemTotal, 24684096 * 1024);
  assert.equal(meminfo.MemAvailable, 24266440 * 1024);
  assert.equal(meminfo['Active(anon)'], 1540 * 1024);
  assert.equal(meminfo.HugePages_Total, 0);
  assert.equal(meminfo.Hugepagesize, 2048 * 1024);
});

test('real vmstat', () => {
  const vmstat = parseVmstat(read('real-debian12-sleep/vmstat'));
  assert.equal(Object.keys(vmstat).length, 192);
  assert.equal(vmstat.pgfault, 5736646);
  assert.equal(vmstat.pgmajfault, 1103);
  assert.equal(vmstat.thp_fault_alloc, 252);
});

test('meminfo and vmstat, scanned by index: the same as a regex per line gives, on this host\'s own files and the fixtures; bad lines skipped', () => {
  // the parsers as they were (one regex per line), as the reference
  const byRegex = (text: string, line: RegExp, scale: (m: RegExpExecArray) => number): Record<string, number> => {
    const values: Record<string, number> = {};
    for (const l of text.split('\n')) {
      const m = line.exec(l);
      if (m?.[1] && m[2]) values[m[1]] = scale(m);
    }
    return values;
  };
  const meminfoByRegex = (t: string) => byRegex(t, /^([^:]+):\s+(\d+)(\s+kB)?\s*$/, (m) => Number(m[2]) * (m[3] ? 1024 : 1));
  const vmstatByRegex = (t: string) => byRegex(t, /^(\S+)\s+(-?\d+)\s*$/, (m) => Number(m[2]));
  const meminfos = [readFileSync('/proc/meminfo', 'utf8'), read('real-debian12-sleep/meminfo'), read('synthetic-libvirt/meminfo')];
  const vmstats = [readFileSync('/proc/vmstat', 'utf8'), read('real-debian12-sleep/vmstat'), read('synthetic-libvirt/vmstat')];
  for (const text of meminfos) assert.deepEqual(parseMeminfo(text), meminfoByRegex(text));
  for (const text of vmstats) assert.deepEqual(parseVmstat(text), vmstatByRegex(text));
  assert.ok(Object.keys(parseVmstat(vmstats[0]!)).length > 100);
  const odd = 'MemTotal:  100 kB\nbroken line\nNoValue:\nHugePages_Free:  3\nLast:   7 kB';
  assert.deepEqual(parseMeminfo(odd), { MemTotal: 102400, HugePages_Free: 3, Last: 7168 });
  assert.deepEqual(parseVmstat('nr_free 5\nweird\nneg -3\nx y\nend 9'), { nr_free: 5, neg: -3, end: 9 });
});

test('pressure: avg10 of some and full; -1 when missing', () => {
  assert.deepEqual(parsePressure(read('synthetic-libvirt/pressure/memory')), { someAvg10: 1.25, fullAvg10: 0.5 });
  assert.deepEqual(parsePressure(read('real-debian12-sleep/pressure/memory')), { someAvg10: 0, fullAvg10: 0 });
  assert.deepEqual(parsePressure('some avg10=3.10 avg60=0.00 avg300=0.00 total=1\n'), { someAvg10: 3.1, fullAvg10: -1 });
  assert.deepEqual(parsePressure(''), { someAvg10: -1, fullAvg10: -1 });
});

test('readHostMemory from a fixture tree', async () => {
  const host = await readHostMemory(join(FIXTURES_DIR, 'synthetic-libvirt'));
  assert.equal(host.meminfoBytes.SwapTotal, 4194304 * 1024);
  assert.equal(host.meminfoBytes.Zswap, 20480 * 1024);
  assert.equal(host.vmstat.pgscan_direct, 1200);
  assert.equal(host.psiMemSomeAvg10, 1.25);
  assert.equal(host.psiMemFullAvg10, 0.5);
});

test('readHostMemory without /proc/pressure (no PSI) gives -1, not an error', async () => {
  const host = await readHostMemory(join(FIXTURES_DIR, 'synthetic-proxmox'));
  assert.deepEqual(host, { meminfoBytes: {}, vmstat: {}, psiMemSomeAvg10: -1, psiMemFullAvg10: -1 });
});

test('vmstatDelta: named fields, backwards counters give 0, absent counters 0', () => {
  const prev = parseVmstat(read('synthetic-libvirt/vmstat'));
  const cur = {
    ...prev,
    pgfault: prev.pgfault! + 5000,
    pgmajfault: prev.pgmajfault! + 7,
    pswpin: prev.pswpin! + 1,
    pswpout: prev.pswpout! + 2,
    pgscan_direct: prev.pgscan_direct! + 300,
    pgscan_kswapd: prev.pgscan_kswapd! + 400,
    pgsteal_direct: prev.pgsteal_direct! + 250,
    pgsteal_kswapd: prev.pgsteal_kswapd! + 390,
    compact_stall: prev.compact_stall! + 3,
    oom_kill: 0, // went backwards (another boot)
    thp_fault_alloc: prev.thp_fault_alloc! + 11,
    // zswap traffic (zswpwb stays: its delta is 0)
    zswpin: (prev.zswpin ?? 0) + 20,
    zswpout: (prev.zswpout ?? 0) + 30,
  };
  assert.deepEqual(vmstatDelta(prev, cur), {
    pgfault: 5000,
    pgmajfault: 7,
    pswpin: 1,
    pswpout: 2,
    pgscanDirect: 300,
    pgscanKswapd: 400,
    pgstealDirect: 250,
    pgstealKswapd: 390,
    compactStall: 3,
    oomKill: 0,
    thpFaultAlloc: 11,
    zswpin: 20,
    zswpout: 30,
    zswpwb: 0,
  });
  assert.equal(vmstatDelta({}, {}).pgfault, 0);
});

test('KSM and THP settings of /sys/kernel/mm (a real capture of this machine\'s 6.18), and none without /sys', async () => {
  const { readMmSettings, selectedMode } = await import('../../src/host/host-memory.js');
  const sys = fileURLToPath(new URL('../fixtures/sys/real-6.18', import.meta.url));
  assert.deepEqual(await readMmSettings(sys), { ksmState: 'off', ksmPagesSharing: 0, ksmPagesShared: 0, thpEnabled: 'madvise', thpDefrag: 'madvise' });
  assert.equal(selectedMode('always defer defer+madvise [madvise] never'), 'madvise');
  assert.equal(selectedMode('[always] madvise never'), 'always');
  assert.deepEqual(await readMmSettings('/nonexistent'), { ksmState: '', ksmPagesSharing: 0, ksmPagesShared: 0, thpEnabled: '', thpDefrag: '' });
  // a /proc fixture reads no /sys
  assert.equal((await readHostMemory(join(FIXTURES_DIR, 'synthetic-libvirt'))).mm, undefined);
});
