// The probe groups and where their programs live. Each group's program is assembled
// for the running kernel from the points it has (probe-program.ts); live runs the
// groups' programs as one program in one bpftrace (combine-programs.ts), or one
// bpftrace per group when that one program cannot run (probe-set.ts).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PROBE_GROUPS = ['faults', 'kvm', 'reclaim', 'growth'] as const;
export type ProbeGroup = (typeof PROBE_GROUPS)[number];

/** probes/ at the package root (dist/probe/ and src/probe/ are both two levels down). */
export const PROBES_DIR = fileURLToPath(new URL('../../probes/', import.meta.url));

export function probeFile(group: ProbeGroup, probesDir = PROBES_DIR): string {
  return join(probesDir, `${group}.bt`);
}

/** The positional parameters each probe takes: $1 interval ms, $2 long-stall threshold ns. */
export function probeArgs(intervalMs: number, longStallNs: number): string[] {
  for (const [name, value] of [['interval', intervalMs], ['long stall threshold', longStallNs]] as const) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`probe ${name} must be a positive integer, got ${value}`);
  }
  return [String(intervalMs), String(longStallNs)];
}
