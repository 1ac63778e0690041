// Host-wide memory state: /proc/meminfo, /proc/vmstat, /proc/pressure/memory, and the
// KSM and THP settings of /sys/kernel/mm.
// Parsing is pure; readHostMemory is the IO edge.
//   meminfo   "MemTotal:       16384000 kB"   (a few lines, HugePages_*, have no unit)
//   vmstat    "pgfault 123456"                 counters since boot, and some gauges
//   pressure  "some avg10=0.00 avg60=0.00 avg300=0.00 total=0"   (PSI, 4.20+)
//             "full avg10=0.00 ..."
import type { HostMemory, MmSettings } from '../model/host.js';
import type { VmstatDelta } from '../model/snapshot.js';
import { readTextOrNull } from './read-proc-file.js';

/** Every line, keys as written (`Active(anon)`); kB values in bytes, unit-less ones as is. */
export function parseMeminfo(text: string): Record<string, number> {
  return parseKeyedLines(text, ':', meminfoValue);
}

export function parseVmstat(text: string): Record<string, number> {
  return parseKeyedLines(text, ' ', vmstatValue);
}

const DIGITS = /^\d+$/;
const SIGNED_DIGITS = /^-?\d+$/;

/** "16384000 kB" -> bytes, "0" -> 0; null for anything else. */
function meminfoValue(field: string): number | null {
  const kb = field.endsWith(' kB');
  const digits = kb ? field.slice(0, -3).trimEnd() : field;
  return DIGITS.test(digits) ? Number(digits) * (kb ? 1024 : 1) : null;
}

function vmstatValue(field: string): number | null {
  return SIGNED_DIGITS.test(field) ? Number(field) : null;
}

/** Each line's key (up to the first `separator`) and value (the rest, trimmed, as
 * `value` reads it; lines it rejects are skipped). Scanned by index, not a regex per
 * line: meminfo and vmstat are parsed every interval (~60 and ~180 lines). */
function parseKeyedLines(text: string, separator: string, value: (field: string) => number | null): Record<string, number> {
  const values: Record<string, number> = {};
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const at = text.indexOf(separator, start);
    if (at > start && at < end) {
      const v = value(text.slice(at + 1, end).trim());
      if (v !== null) values[text.slice(start, at)] = v;
    }
    start = end + 1;
  }
  return values;
}

/** PSI avg10 of the "some" and "full" lines, in percent; -1 for a missing line. */
export function parsePressure(text: string): { someAvg10: number; fullAvg10: number } {
  const avg10 = (kind: string): number => {
    const match = new RegExp(`^${kind} avg10=([\\d.]+)`, 'm').exec(text);
    return match?.[1] ? Number(match[1]) : -1;
  };
  return { someAvg10: avg10('some'), fullAvg10: avg10('full') };
}

/** "always [madvise] never" -> "madvise"; '' when nothing is selected. */
export function selectedMode(text: string): string {
  return /\[([^\]]+)\]/.exec(text)?.[1] ?? '';
}

const KSM_STATES: Record<string, string> = { '0': 'off', '1': 'on', '2': 'unmerge' };

/** KSM and THP settings from /sys/kernel/mm (5 small files). */
export async function readMmSettings(sysRoot = '/sys'): Promise<MmSettings> {
  const mm = `${sysRoot}/kernel/mm`;
  const [run, sharing, shared, thp, defrag] = await Promise.all(
    ['ksm/run', 'ksm/pages_sharing', 'ksm/pages_shared', 'transparent_hugepage/enabled', 'transparent_hugepage/defrag'].map((f) => readTextOrNull(`${mm}/${f}`)),
  );
  const count = (text: string | null | undefined): number => (typeof text === 'string' && /^\d+\s*$/.test(text) ? Number(text) : 0);
  return {
    ksmState: typeof run === 'string' ? (KSM_STATES[run.trim()] ?? run.trim()) : '',
    ksmPagesSharing: count(sharing),
    ksmPagesShared: count(shared),
    thpEnabled: selectedMode(thp ?? ''),
    thpDefrag: selectedMode(defrag ?? ''),
  };
}

/** sysRoot null: no /sys read (the /proc is a fixture). */
export async function readHostMemory(procRoot = '/proc', sysRoot: string | null = procRoot === '/proc' ? '/sys' : null): Promise<HostMemory> {
  const [meminfo, vmstat, pressure, mm] = await Promise.all([
    readTextOrNull(`${procRoot}/meminfo`),
    readTextOrNull(`${procRoot}/vmstat`),
    readTextOrNull(`${procRoot}/pressure/memory`), // absent without CONFIG_PSI or with psi=0
    sysRoot === null ? Promise.resolve(undefined) : readMmSettings(sysRoot),
  ]);
  const psi = parsePressure(pressure ?? '');
  return {
    ...(mm ? { mm } : {}),
    meminfoBytes: parseMeminfo(meminfo ?? ''),
    vmstat: parseVmstat(vmstat ?? ''),
    psiMemSomeAvg10: psi.someAvg10,
    psiMemFullAvg10: psi.fullAvg10,
  };
}

/** Our field -> /proc/vmstat counter. */
const VMSTAT_COUNTERS: Record<keyof VmstatDelta, string> = {
  pgfault: 'pgfault',
  pgmajfault: 'pgmajfault',
  pswpin: 'pswpin',
  pswpout: 'pswpout',
  pgscanDirect: 'pgscan_direct',
  pgscanKswapd: 'pgscan_kswapd',
  pgstealDirect: 'pgsteal_direct',
  pgstealKswapd: 'pgsteal_kswapd',
  compactStall: 'compact_stall',
  oomKill: 'oom_kill',
  thpFaultAlloc: 'thp_fault_alloc',
  zswpin: 'zswpin',
  zswpout: 'zswpout',
  zswpwb: 'zswpwb',
};

/** Counter increases between two reads; a counter that went backwards (reboot, a different host) gives 0. */
export function vmstatDelta(prev: Record<string, number>, cur: Record<string, number>): VmstatDelta {
  const delta = {} as VmstatDelta;
  for (const [field, counter] of Object.entries(VMSTAT_COUNTERS) as Array<[keyof VmstatDelta, string]>) {
    delta[field] = Math.max(0, (cur[counter] ?? 0) - (prev[counter] ?? 0));
  }
  return delta;
}
