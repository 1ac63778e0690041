// The shipped sample (samples/sample.flt, a real run made by samples/make-sample.ts)
// still reads with this faultline, and holds what it promises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '../../src/model/snapshot.js';
import { openRecording } from '../../src/record/reader.js';
import { ReportBuilder } from '../../src/record/report/build-report.js';

const SAMPLE = fileURLToPath(new URL('../../samples/sample.flt', import.meta.url));

test('samples/sample.flt: a whole recording of a growing guest, a leak and a memcg OOM kill', async () => {
  const reader = await openRecording(SAMPLE);
  const snapshots: Snapshot[] = [];
  for await (const s of reader.snapshots()) snapshots.push(s);
  assert.deepEqual(reader.stats.damage, []);
  assert.equal(reader.stats.bytesIgnoredAtEnd, 0);
  assert.ok(snapshots.length >= 50, `${snapshots.length} snapshots`);
  const report = new ReportBuilder(reader.meta, SAMPLE);
  for (const s of snapshots) report.add(s);
  const { report: summary } = report.finish(reader.stats);
  const vm = summary.vms.find((v) => v.kind === 'vm' && v.name === 'sample-web01')!;
  assert.ok(vm.rss.peak.guestRamBytes - vm.rss.final.guestRamBytes > 64 * 2 ** 20, 'the guest grew, then was ballooned down');
  assert.ok(summary.vms.some((v) => v.kind === 'process' && v.rss.final.anonBytes > 96 * 2 ** 20), 'the leaker');
  assert.equal(summary.host.oomKills, 1);
  assert.ok(summary.vms.some((v) => v.oomKills === 1 && v.reclaim.memcgStalls > 0), 'the OOM victim stalled in memcg reclaim first');
});
