// The probe groups and where their programs live. One bpftrace process per group,
// so a host without KVM (or with a tracepoint missing) loses one group, not all.
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

/** tracepoint:GROUP:NAME attach points named in a probe program (for doctor). */
export function tracepointsIn(programText: string): string[] {
  const found = new Set<string>();
  for (const match of programText.matchAll(/^\s*tracepoint:([a-z0-9_]+):([a-z0-9_]+)/gm)) {
    found.add(`${match[1]}:${match[2]}`);
  }
  return [...found];
}
