// bpftrace's version, and what differs between versions that the runner must know.
import { execa } from 'execa';
import { MAP_KEYS_START } from './map-keys.js';

export interface BpftraceVersion {
  text: string;
  major: number;
  minor: number;
}

export function parseBpftraceVersion(output: string): BpftraceVersion | null {
  const match = output.match(/v?(\d+)\.(\d+)(?:\.(\d+))?/);
  if (!match) return null;
  return { text: `${match[1]}.${match[2]}.${match[3] ?? '0'}`, major: Number(match[1]), minor: Number(match[2]) };
}

export async function readBpftraceVersion(bpftracePath: string): Promise<BpftraceVersion | null> {
  try {
    const { stdout } = await execa(bpftracePath, ['--version'], { timeout: 10_000 });
    return parseBpftraceVersion(stdout);
  } catch {
    return null;
  }
}

/** Environment for a probe run. Keys per map (src/probe/map-keys.ts): 0.17-0.19 read
 * BPFTRACE_MAP_KEYS_MAX, 0.20+ BPFTRACE_MAX_MAP_KEYS (the old name warns there), so set
 * the one this version knows. */
export function probeEnv(version: BpftraceVersion | null, maxMapKeys = MAP_KEYS_START): Record<string, string> {
  const newNames = version !== null && (version.major > 0 || version.minor >= 20);
  return newNames ? { BPFTRACE_MAX_MAP_KEYS: String(maxMapKeys) } : { BPFTRACE_MAP_KEYS_MAX: String(maxMapKeys) };
}
