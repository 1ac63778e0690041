#!/usr/bin/env node
// Keeps a lab run's real KVM output as a unit-test fixture: kvm.bt's raw bpftrace
// output for the thp guest, that guest's /proc/PID/maps, and the independent counts
// taken at the same time, into test/fixtures/bpftrace/real-kvm/KERNEL-BPFTRACE/.
//   node test/lab/keep-fixture.mjs test/.tmp/lab/bookworm
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: keep-fixture.mjs LAB_OUT');
const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
const s = results.scenarios.find((x) => x.name === 'thp');
const bpftrace = readFileSync(join(dir, 'bpftrace-version.txt'), 'utf8').match(/(\d+\.\d+)\.\d+/)[1];
const kernel = results.kernel.match(/^(\d+\.\d+)/)[1];
const out = new URL(`../fixtures/bpftrace/real-kvm/${kernel}-${bpftrace}/`, import.meta.url).pathname;
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'kvm.ndjson'), readFileSync(join(dir, 'kvm-raw-thp.ndjson'), 'utf8'));
writeFileSync(join(out, 'guest.json'), `${JSON.stringify({
  kernel: results.kernel, bpftrace: readFileSync(join(dir, 'bpftrace-version.txt'), 'utf8').trim(),
  what: s.what, pid: s.pid, name: s.guestName, uuid: s.uuid, memoryBytes: s.memoryBytes,
  guestRamStart: s.guestRamStart, guestRamEnd: s.guestRamEnd, reference: s.reference, debugfs: s.debugfs, maps: s.mapsText,
}, null, 1)}\n`);
console.log(`kept ${out}`);
