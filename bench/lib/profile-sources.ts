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

/** The profile's samples after `skipUs`, idle left out, summed by `keyOf` (busiest
 * first), each as ms per second of the window and as a share of the busy time. */
function sumSamples(profile: CpuProfile, skipUs: number, keyOf: (node: CpuProfile['nodes'][number]) => string): Array<{ key: string; msPerSecond: number; share: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let elapsedUs = 0;
  let windowUs = 0;
  const totals = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    elapsedUs += dt;
    if (elapsedUs < skipUs) continue;
    windowUs += dt;
    const node = byId.get(profile.samples[i]!)!;
    if (node.callFrame.functionName === '(idle)') continue;
    const key = keyOf(node);
    totals.set(key, (totals.get(key) ?? 0) + dt);
  }
  const busyUs = [...totals.values()].reduce((a, b) => a + b, 0);
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .map(([key, us]) => ({ key, msPerSecond: windowUs > 0 ? us / 1000 / (windowUs / 1e6) : 0, share: busyUs > 0 ? us / busyUs : 0 }));
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
  const keyOf = (node: CpuProfile['nodes'][number]): string =>
    node.callFrame.functionName === '(garbage collector)' ? 'garbage collection' : resolve(node.id) || 'Node itself (streams, timers, event loop)';
  return sumSamples(profile, skipUs, keyOf).map(({ key, msPerSecond, share }) => ({ source: key, msPerSecond, share }));
}

export interface FunctionShare {
  /** `name (file:line)`, the file relative to the tree's dist/ or src/, or Node's own. */
  frame: string;
  /** ms of CPU per second of the window in this function itself (self time) */
  msPerSecond: number;
  share: number;
}

function frameName(node: CpuProfile['nodes'][number] & { callFrame: { lineNumber?: number } }): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = /\/(?:dist|src)\/(.+)$/.exec(url)?.[1] ?? url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\//, '');
  return `${functionName || '(anonymous)'}${file ? ` (${file}:${(lineNumber ?? 0) + 1})` : ''}`;
}

/** The functions with the most self time after `skipUs`, idle left out. */
export function hottestFunctions(profile: CpuProfile, skipUs: number, limit: number): FunctionShare[] {
  return sumSamples(profile, skipUs, frameName).slice(0, limit).map(({ key, msPerSecond, share }) => ({ frame: key, msPerSecond, share }));
}
