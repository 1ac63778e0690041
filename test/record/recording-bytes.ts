// Builds small recordings in memory for the format tests, remembering where each
// record ends, so a test can cut or damage one exactly.
import type { Meta, Snapshot } from '../../src/model/snapshot.js';
import { encodeFrame, frameToJson } from '../../src/proto/codec.js';
import { encodeHeader, encodeRecord, RecordKind } from '../../src/record/flt-format.js';
import { RecordEncoder } from '../../src/record/writer.js';
import { syntheticSnapshots } from './synthetic-snapshots.js';

export function testMeta(fields: Partial<Meta> = {}): Meta {
  return {
    formatVersion: 1, hostname: 'synthetic-host', kernel: '6.1.0-synthetic', bpftraceVersion: 'v0.17.0',
    probeGroups: ['faults', 'kvm', 'reclaim', 'growth'], intervalMs: 1000, startTimeMs: 1_764_000_000_000,
    faultlineVersion: '0.1.0', mode: 'live', endTimeMs: 0, historyMs: 0, deepLeaks: false, ...fields,
  };
}

export interface BuiltRecording {
  bytes: Uint8Array;
  /** The snapshots as the reader returns them (their JSON form). */
  snapshots: Snapshot[];
  /** Where each snapshot's record starts and ends. */
  records: Array<{ start: number; end: number }>;
  /** End of the header and Meta record. */
  headerEnd: number;
}

export async function buildRecording(options: { vms?: number; snapshots?: number; compress?: boolean; framesPerChunk?: number; seed?: number } = {}): Promise<BuiltRecording> {
  const encoder = new RecordEncoder({ compress: options.compress, framesPerChunk: options.framesPerChunk });
  const parts: Uint8Array[] = [encodeHeader(), encodeRecord(RecordKind.frame, encodeFrame({ meta: testMeta() }))];
  let offset = parts[0]!.length + parts[1]!.length;
  const headerEnd = offset;
  const snapshots: Snapshot[] = [];
  const records: Array<{ start: number; end: number }> = [];
  for (const snapshot of syntheticSnapshots({ vms: options.vms ?? 2, processes: 1, snapshots: options.snapshots ?? 8, seed: options.seed ?? 7 })) {
    const { record } = await encoder.encode({ snapshot });
    parts.push(record);
    records.push({ start: offset, end: offset + record.length });
    offset += record.length;
    snapshots.push((frameToJson({ snapshot }) as { snapshot: Snapshot }).snapshot);
  }
  encoder.close();
  return { bytes: Buffer.concat(parts), snapshots, records, headerEnd };
}
