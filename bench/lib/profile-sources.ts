// Where a V8 CPU profile's time went, by faultline source directory: each sample goes
// to the directory (dist/host -> "/proc and /sys reads (src/host)", ...) of the
// innermost frame that is faultline's own code, so time in Node's fs or in a parser
// called from src/host counts as src/host. Samples with no faultline frame: garbage
// collection, or Node itself (streams, timers, the event loop). Idle time is left out.
// Pure.

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

export interface SourceShare {
  source: string;
  /** ms of CPU per second of the profiled window (= per interval at 1 s) */
  msPerSecond: number;
  share: number;
}

const SOURCES: Record<string, string> = {
  host: '/proc and /sys reads (src/host)',
  collect: 'collector (src/collect)',
  probe: 'bpftrace output (src/probe)',
  parse: 'bpftrace output (src/parse)',
  aggregate: 'snapshot building (src/aggregate)',
  detect: 'leak detectors (src/detect)',
  serve: 'UI, websocket, /metrics (src/serve)',
  proto: 'encoding (src/proto)',
  record: 'recording (src/record)',
  cli: 'CLI (src/cli)',
  model: 'model (src/model)',
  format: 'formatting (src/format)',
};

function sourceOfUrl(url: string): string | null {
  const match = /\/(?:dist|src)\/([a-z-]+)\/[^/]+\.[jt]s$/.exec(url);
  return match ? (SOURCES[match[1]!] ?? `src/${match[1]}`) : null;
}

export function cpuBySource(profile: CpuProfile, skipUs: number): SourceShare[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const sourceOfNode = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = sourceOfNode.get(id);
    if (known) return known;
    const node = byId.get(id)!;
    const own = sourceOfUrl(node.callFrame.url);
    const up = parent.get(id);
    const source = own ?? (up !== undefined ? resolve(up) : '');
    sourceOfNode.set(id, source);
    return source;
  };
  let elapsedUs = 0;
  let windowUs = 0;
  const totals = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    elapsedUs += dt;
    if (elapsedUs < skipUs) continue;
    windowUs += dt;
    const node = byId.get(profile.samples[i]!)!;
    const name = node.callFrame.functionName;
    if (name === '(idle)') continue;
    const source = name === '(garbage collector)' ? 'garbage collection' : resolve(node.id) || 'Node itself (streams, timers, event loop)';
    totals.set(source, (totals.get(source) ?? 0) + dt);
  }
  const busyUs = [...totals.values()].reduce((a, b) => a + b, 0);
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .map(([source, us]) => ({ source, msPerSecond: windowUs > 0 ? us / 1000 / (windowUs / 1e6) : 0, share: busyUs > 0 ? us / busyUs : 0 }));
}
