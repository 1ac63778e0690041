// Ten idle 1 s snapshots of 2 VMs and 2 processes on a 64 GiB host with 40 GiB
// available (synthetic: test/record/synthetic-snapshots.ts, quieted by hand), the
// window the diagnosis tests change one thing in.
import type { Snapshot } from '../../src/model/snapshot.js';
import { frameToJson } from '../../src/proto/codec.js';
import { syntheticSnapshots } from '../record/synthetic-snapshots.js';

const GiB = 2 ** 30;

export function idleWindow(): Snapshot[] {
  return [...syntheticSnapshots({ vms: 2, processes: 2, snapshots: 10, activity: 'idle', seed: 5 })].map((s) => {
    const snapshot = (frameToJson({ snapshot: s }) as { snapshot: Snapshot }).snapshot;
    snapshot.host = { ...snapshot.host, memTotalBytes: 64 * GiB, memAvailableBytes: 40 * GiB, psiMemSomeAvg10: 0, psiMemFullAvg10: 0 };
    snapshot.host.vmstat = { ...snapshot.host.vmstat, pswpin: 0, pswpout: 0 };
    snapshot.events = [];
    for (const v of snapshot.vms) {
      v.reclaim = { ...v.reclaim, stalls: 0, stallNs: 0, directStalls: 0, memcgStalls: 0 };
      v.memoryBytes = v.kind === 'vm' ? 8 * GiB : 0;
      v.cgroup = { ...v.cgroup, limitBytes: 0 };
      v.leak = { ...v.leak, verdict: 'ok' };
    }
    return snapshot;
  });
}
