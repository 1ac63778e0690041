// Real KVM output, kept from lab runs (test/lab/keep-fixture.mjs): kvm.bt's raw
// bpftrace output while a real guest ran under KVM in the lab's L1 (Debian's 6.1 with
// bpftrace 0.17, Debian's 6.12 with 0.23), the guest's /proc/PID/maps, and the counts
// the lab's own bpftrace program took at the same time. Parsed, folded and built into
// a snapshot row here, without a kernel, the numbers must be those counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBpftraceLine } from '../../src/parse/bpftrace-json.js';
import { ProbeBatcher, type ProbeBatch } from '../../src/parse/probe-batch.js';
import { foldBatches } from '../../src/aggregate/probe-counters.js';
import { buildSnapshot, type TrackedProcess } from '../../src/aggregate/build-snapshot.js';
import { findGuestRam, parseMaps } from '../../src/host/proc-maps.js';

const DIR = fileURLToPath(new URL('../fixtures/bpftrace/real-kvm/', import.meta.url));
const captures = existsSync(DIR) ? readdirSync(DIR).filter((d) => existsSync(join(DIR, d, 'kvm.ndjson'))).sort() : [];

interface Guest {
  kernel: string;
  bpftrace: string;
  pid: number;
  name: string;
  uuid: string;
  memoryBytes: number;
  guestRamStart: string;
  reference: Record<string, unknown>;
  maps: string;
}

function batchesOf(text: string): ProbeBatch[] {
  const batcher = new ProbeBatcher('kvm');
  const batches: ProbeBatch[] = [];
  for (const line of text.split('\n')) {
    const parsed = parseBpftraceLine(line);
    assert.ok(parsed.ok, `a line did not parse: ${line.slice(0, 80)}`);
    for (const record of parsed.records) {
      const out = batcher.push(record);
      if (out?.kind === 'batch') batches.push(out.batch);
    }
  }
  const last = batcher.flush();
  if (last) batches.push(last);
  return batches;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const keyed = (v: unknown): Record<string, number> => (v && typeof v === 'object' ? (v as Record<string, number>) : {});

test('real KVM captures are kept for each lab kernel', () => {
  assert.deepEqual(captures, ['6.1-0.17', '6.12-0.23']);
});

for (const capture of captures) {
  test(`${capture}: a real guest's NPT faults, exits, levels and MMU notifiers from kvm.bt = the lab's own counts`, () => {
    const guest = JSON.parse(readFileSync(join(DIR, capture, 'guest.json'), 'utf8')) as Guest;
    const totals = foldBatches(batchesOf(readFileSync(join(DIR, capture, 'kvm.ndjson'), 'utf8')));
    const mappings = parseMaps(guest.maps);
    const guestRam = findGuestRam(mappings, guest.memoryBytes);
    assert.equal(guestRam?.start, Number(guest.guestRamStart));
    const processes: TrackedProcess[] = [{
      id: `${guest.pid}@1`, pid: guest.pid, startTimeTicks: 1, comm: 'qemu-system-x86',
      identity: { name: guest.name, uuid: guest.uuid, memoryBytes: guest.memoryBytes, source: 'libvirt', vmid: '' },
      detail: {
        pid: guest.pid, startTimeTicks: 1, argv: ['qemu-system-x86_64', '-machine', 'pc'],
        status: { rssBytes: 0, anonBytes: 0, fileBytes: 0, shmemBytes: 0, swapBytes: 0 },
        mappings, guestRam, guestRamResidentBytes: 0, guestRamHugeBytes: 0, anonHugeBytes: 0, ksmMergedPages: 0, numa: [],
        cgroup: { path: '', limitBytes: 0, usageBytes: 0, oomKills: 0, limitHits: 0, swapBytes: 0 },
      },
      minorFaults: 0, majorFaults: 0, guestFaultSource: 'kvm',
    }];
    const snapshot = buildSnapshot({
      seq: 0, timeMs: 0, intervalMs: 1000, totals, processes,
      host: { meminfoBytes: {}, vmstat: {}, psiMemSomeAvg10: 0, psiMemFullAvg10: 0 },
      vmstat: { pgfault: 0, pgmajfault: 0, pswpin: 0, pswpout: 0, pgscanDirect: 0, pgscanKswapd: 0, pgstealDirect: 0, pgstealKswapd: 0, compactStall: 0, oomKill: 0, thpFaultAlloc: 0, zswpin: 0, zswpout: 0, zswpwb: 0 },
      probes: { attached: ['kvm'], groups: [], bpftraceVersion: guest.bpftrace, badLines: 0 },
      lifecycleEvents: [], pidIndex: new Map(), hotspotLimit: 8, virtIsa: 'svm',
    });
    const row = snapshot.vms[0]!;
    const ref = guest.reference;
    assert.ok(num(ref['@npf']) > 1000, 'the guest faulted');
    assert.equal(row.kvm.eptFaults, num(ref['@npf']), 'NPT faults');
    // every exit reason of this guest has the kernel's name; the top one is npf
    const exitsRef = keyed(ref['@exit']);
    const c = totals.byPid.get(guest.pid)!;
    assert.deepEqual(Object.fromEntries([...c.kvmExits].map(([k, v]) => [String(k), v])), exitsRef, 'exits by reason');
    assert.equal(row.kvm.exits[0]!.name, 'npf');
    assert.ok(row.kvm.exits.every((e) => !e.name.startsWith('exit ')), row.kvm.exits.map((e) => e.name).join(' '));
    const levels = keyed(ref['@level']);
    assert.deepEqual([row.kvm.map4k, row.kvm.map2m, row.kvm.map1g], [num(levels['1']), num(levels['2']), num(levels['3'])]);
    assert.ok(row.kvm.map2m > 0, 'THP backed some guest RAM with 2 MiB mappings');
    assert.equal(row.kvm.mmuNotifier, num(ref['@unmap']) + num(ref['@age']), 'MMU notifier calls in this guest RAM (the balloon)');
    assert.ok(row.kvm.mmuNotifier > 0);
    // NPT hotspots: guest RAM inside it, firmware and devices named for what they are
    for (const h of row.hotspots) {
      if (h.region === 'guest-ram') assert.ok(h.guestPhysAddress < guest.memoryBytes, `0x${h.guestPhysAddress.toString(16)}`);
    }
  });
}
