// `faultline export --format chrome-json`: valid Trace Event Format, and its counters
// hold the recording's numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../../src/model/snapshot.js';
import { makeEvent } from '../../src/aggregate/events.js';
import { RecordingWriter } from '../../src/record/writer.js';
import { openRecording } from '../../src/record/reader.js';
import { COUNTERS, HOST_PID, type TraceEvent } from '../../src/record/export/chrome-trace.js';
import { runExport } from '../../src/cli/export-command.js';
import { syntheticSnapshots } from './synthetic-snapshots.js';
import { testMeta } from './recording-bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-export-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** The Trace Event Format's rules for the phases we write (JSON Object Format). */
function validateTrace(json: unknown): TraceEvent[] {
  const events = Array.isArray(json) ? json : (json as { traceEvents?: unknown }).traceEvents;
  assert.ok(Array.isArray(events), 'a JSON array, or an object with traceEvents');
  for (const [i, e] of (events as Array<Record<string, unknown>>).entries()) {
    const where = `event ${i} ${JSON.stringify(e).slice(0, 120)}`;
    assert.equal(typeof e.name, 'string', where);
    assert.ok(Number.isInteger(e.pid), where);
    assert.ok(Number.isInteger(e.tid), where);
    assert.ok(e.args !== null && typeof e.args === 'object', where);
    const args = e.args as Record<string, unknown>;
    if (e.ph === 'C') {
      assert.ok(typeof e.ts === 'number' && e.ts >= 0, where);
      assert.ok(Object.keys(args).length > 0, where);
      for (const v of Object.values(args)) assert.ok(typeof v === 'number' && Number.isFinite(v), `${where}: counter values are numbers`);
    } else if (e.ph === 'i') {
      assert.ok(typeof e.ts === 'number' && e.ts >= 0, where);
      assert.ok(['g', 'p', 't'].includes(e.s as string), where);
    } else if (e.ph === 'M') {
      assert.ok(['process_name', 'process_sort_index'].includes(e.name as string), where);
      if (e.name === 'process_name') assert.equal(typeof args.name, 'string', where);
      else assert.ok(Number.isInteger(args.sort_index), where);
    } else assert.fail(`${where}: unexpected phase`);
  }
  return events as TraceEvent[];
}

test('chrome-json export: valid Trace Event Format; counters equal the recording; OOM kills are instants', async () => {
  const path = join(dir, 'in.flt');
  const out = join(dir, 'trace.json');
  const writer = await RecordingWriter.open(path, testMeta());
  for (const snapshot of syntheticSnapshots({ vms: 4, snapshots: 90, seed: 21 })) {
    if (snapshot.seq === 40) snapshot.events.push(makeEvent('oom-kill', snapshot.timeMs, { pid: snapshot.vms[2]!.pid, vmId: snapshot.vms[2]!.id, comm: 'qemu-system-x86', message: 'OOM "victim" <x>' }));
    await writer.append({ snapshot });
  }
  assert.equal(await writer.close(), null);

  assert.equal(await runExport([path, '--format', 'chrome-json', '-o', out]), 0);
  const trace = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: TraceEvent[]; displayTimeUnit: string; otherData: Record<string, unknown> };
  const events = validateTrace(trace);
  assert.equal(trace.otherData.snapshots, 90);

  // one trace process per VM id, named after it
  const pidByName = new Map(events.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => [e.args.name as string, e.pid]));
  assert.equal(pidByName.get('host synthetic-host'), HOST_PID);
  const counters = new Map(events.filter((e) => e.ph === 'C').map((e) => [`${e.pid}/${e.name}/${e.ts}`, e.args]));
  const reader = await openRecording(path);
  let checked = 0;
  for await (const s of reader.snapshots() as AsyncGenerator<Snapshot>) {
    const ts = (s.timeMs - reader.meta.startTimeMs) * 1000;
    assert.deepEqual(counters.get(`${HOST_PID}/${COUNTERS.memAvailable}/${ts}`), { available: s.host.memAvailableBytes });
    for (const v of s.vms) {
      const pid = pidByName.get(`${v.kind} ${v.name} (pid ${v.pid})`)!;
      const perSec = (n: number): number => (n * 1000) / s.intervalMs;
      assert.deepEqual(counters.get(`${pid}/${COUNTERS.rss}/${ts}`), { guestRam: v.rss.guestRamBytes, ownAnon: v.rss.ownAnonBytes, file: v.rss.fileBytes });
      assert.equal(v.rss.guestRamBytes + v.rss.ownAnonBytes + v.rss.fileBytes, v.rss.totalBytes, 'stacked RSS adds up to RSS');
      assert.deepEqual(counters.get(`${pid}/${COUNTERS.faults}/${ts}`), { minor: perSec(v.faults.minor), major: perSec(v.faults.major), guestRam: perSec(v.faults.guestRam) });
      assert.deepEqual(counters.get(`${pid}/${COUNTERS.stall}/${ts}`), { stall: perSec(v.reclaim.stallNs / 1e6) });
      checked += 1;
    }
  }
  assert.equal(checked, 90 * 7);
  const ooms = events.filter((e) => e.ph === 'i' && e.name === 'oom-kill');
  assert.equal(ooms.length, 1);
  assert.equal(ooms[0]!.s, 'p');
  assert.equal(ooms[0]!.pid, pidByName.get(`vm synthetic-vm-02 (pid ${ooms[0]!.args.pid})`));
  assert.equal(ooms[0]!.args.message, 'OOM "victim" <x>');
});

test('export of a damaged recording still writes valid JSON and exits 3', async () => {
  const path = join(dir, 'cut.flt');
  const writer = await RecordingWriter.open(path, testMeta());
  for (const snapshot of syntheticSnapshots({ vms: 2, snapshots: 10 })) await writer.append({ snapshot });
  await writer.close();
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 5));
  const out = join(dir, 'cut.json');
  assert.equal(await runExport([path, '-o', out]), 3);
  const trace = JSON.parse(readFileSync(out, 'utf8')) as { otherData: Record<string, number> };
  validateTrace(trace);
  assert.equal(trace.otherData.snapshots, 9);
  assert.ok(trace.otherData.bytesIgnoredAtEnd! > 0);
});
