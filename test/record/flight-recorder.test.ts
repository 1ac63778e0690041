// Flight-recorder mode: only the minutes around incidents reach the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEvent } from '../../src/aggregate/events.js';
import { FlightRecorder } from '../../src/record/flight-recorder.js';
import { incidentIn } from '../../src/record/incident.js';
import { RecordEncoder, RecordingFile, RecordingWriter } from '../../src/record/writer.js';
import { openRecording } from '../../src/record/reader.js';
import { syntheticSnapshots } from './synthetic-snapshots.js';
import { testMeta } from './recording-bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-ring-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('incidents: an oom-kill, a leak finding, a stall at the threshold (event or row maximum); not a shorter stall', () => {
  const [s] = syntheticSnapshots({ vms: 1, processes: 0, snapshots: 1, activity: 'idle' });
  const rules = { stallThresholdNs: 100e6 };
  assert.equal(incidentIn(s!, rules), null);
  const at = (events: ReturnType<typeof makeEvent>[]) => incidentIn({ ...s!, events }, rules);
  assert.match(at([makeEvent('oom-kill', 1, { pid: 42, comm: 'hog' })])!, /oom-kill: hog 42/);
  assert.match(at([makeEvent('leak-finding', 1, { message: 'web01 grows 2 MiB/s' })])!, /leak finding: web01 grows/);
  assert.equal(at([makeEvent('reclaim-stall', 1, { durationNs: 99e6 })]), null);
  assert.match(at([makeEvent('reclaim-stall', 1, { durationNs: 100e6, comm: 'CPU 0/KVM', pid: 7 })])!, /reclaim stall of 100 ms in CPU 0\/KVM/);
  const vm = s!.vms[0]!;
  assert.match(incidentIn({ ...s!, vms: [{ ...vm, reclaim: { ...vm.reclaim, maxStallNs: 250e6 } }] }, rules)!, /250 ms in synthetic-vm-00/);
});

test('ring of 10 s: writes the ring on an oom-kill and on demand, 10 s after each, nothing else', async () => {
  const path = join(dir, 'ring.flt');
  const file = await RecordingFile.create(path);
  await file.writeHeader(testMeta());
  const log: string[] = [];
  const writer = new RecordingWriter(file, new RecordEncoder({ framesPerChunk: 4 }));
  const recorder = new FlightRecorder(writer, { windowMs: 10_000, stallThresholdNs: 1e9, log: (l) => log.push(l) });
  for (const snapshot of syntheticSnapshots({ vms: 2, snapshots: 60, seed: 9 })) {
    if (snapshot.seq === 30) snapshot.events.push(makeEvent('oom-kill', snapshot.timeMs, { pid: 99, comm: 'hog' }));
    await recorder.append({ snapshot });
    if (snapshot.seq === 55) await recorder.dump('SIGUSR1');
  }
  assert.equal(await recorder.close(), null);
  const reader = await openRecording(path);
  const seqs: number[] = [];
  for await (const s of reader.snapshots()) seqs.push(s.seq);
  const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  // ring: whole chunks of 4 (0-3, 4-7, ...) reaching back at least 10 s; then 10 s written through
  assert.deepEqual(seqs, [...range(20, 39), ...range(44, 59)]);
  assert.equal(recorder.dumps, 2);
  assert.deepEqual(reader.stats.damage, []);
  assert.match(log[0]!, /oom-kill: hog 99; wrote the last 11 frames to .*ring\.flt, recording on for 10 s/);
  assert.match(log[1]!, /10 s without an incident; back to keeping the last 10 s in memory/);
  assert.match(log[2]!, /SIGUSR1; wrote the last 12 frames/);
});
