// Reads a real capture kept in test/detect/fixtures/: `faultline live --json`
// snapshots cut to the fields the detectors read (the kernel tests write them to
// test/.tmp/*.capture.ndjson). Fields cut away come back as zeros.
import { readFileSync } from 'node:fs';
import type { Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { snapshotAt, vmRow } from './snapshots.js';

type Cut = Omit<Partial<Snapshot>, 'vms' | 'host' | 'probes'> & {
  timeMs: number;
  host: Partial<Snapshot['host']>;
  probes: Partial<Snapshot['probes']>;
  vms: (Partial<VmSnapshot> & { id: string; pid: number })[];
};

export function loadCapture(path: string | URL): Snapshot[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => {
    const cut = JSON.parse(line) as Cut;
    const base = snapshotAt(cut.seq ?? 0, 0, cut.intervalMs ?? 1000, cut.vms.map(vmRow), cut.host);
    return { ...base, timeMs: cut.timeMs, probes: { ...base.probes, ...cut.probes } };
  });
}
