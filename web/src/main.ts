// The page: one websocket of Frames in, widgets out. Meta says live or replay,
// History fills the chart columns, every Snapshot is the new "now" (live: also one more
// point per column). Rendering is coalesced into one animation frame, so a burst of
// frames (a reconnect, fast replay) draws once.
import 'uplot/dist/uPlot.min.css';
import './app.css';
import type { FaultlineEvent, HeatFrame, Meta, Snapshot, VmHeat } from '../../src/model/snapshot.js';
import { appendSnapshot, columnsFromHistory, type Columns } from './columns.js';
import { Connection, websocketUrl } from './connection.js';
import { ConnectionStatus } from './connection-status.js';
import type { WireFrame } from './decode.js';
import { byId, setText } from './dom.js';
import { EventList, EventLog } from './events.js';
import { formatDuration } from '../../src/format/quantities.js';
import { formatClock } from './format.js';
import { HostBar } from './host-bar.js';
import { DiagnosisStrip } from './diagnosis-strip.js';
import { ProbeStatusPanel } from './probe-status.js';
import { ReplayControls } from './replay-controls.js';
import { VmDetail } from './vm-detail.js';
import { VmTable } from './vm-table.js';

/** Live charts keep at least this much (`faultline live --history` default), even when
 * the server's history is still shorter; more when the history it sent is longer. */
const MIN_WINDOW_MS = 15 * 60_000;

let meta: Meta | null = null;
let columns: Columns | null = null;
let snapshot: Snapshot | null = null;
/** The server's heat totals per VM, as last sent (replaced, never summed here). */
const heatByVm = new Map<string, VmHeat>();
let selectedId = '';
let replayPlaced = false;
let replayResync = false;
let snapshotsReceived = 0;
let renderQueued = false;
let lastRenderMs = 0;
let maxRenderMs = 0;

const events = new EventLog();
const status = new ConnectionStatus(byId('connection'));
const hostBar = new HostBar(byId('host-bar'));
const diagnosisStrip = new DiagnosisStrip(byId('diagnosis'), (id) => select(id));
const probes = new ProbeStatusPanel(byId('probe-status'));
const table = new VmTable(byId<HTMLTableElement>('vm-table'), (id) => select(id));
const detail = new VmDetail(nameOf);
const timeline = new EventList(byId('timeline-events'), nameOf, (id) => select(id), 'No events yet.');
const connection = new Connection(websocketUrl(location), {
  onFrame: handleFrame,
  onState: (state, retryAtMs) => status.setState(state, retryAtMs),
  onError: (message) => console.error(`faultline: ${message}`),
});
const replay = new ReplayControls(
  byId('replay-controls'),
  () => queueRender(),
  (timeMs) => connection.send(JSON.stringify({ type: 'seek', timeMs })),
);

function nameOf(e: FaultlineEvent): string {
  if (e.vmId) {
    const vm = snapshot?.vms.find((v) => v.id === e.vmId);
    const name = vm?.name || columns?.vms.get(e.vmId)?.name;
    if (name) return name;
  }
  return e.comm || (e.pid ? `pid ${e.pid}` : '');
}

function select(id: string): void {
  selectedId = id;
  table.select(id);
  queueRender();
}

function handleFrame(frame: WireFrame): void {
  switch (frame.kind) {
    case 'meta':
      onMeta(frame.meta);
      break;
    case 'history':
      columns = columnsFromHistory(frame.history, meta && meta.intervalMs > 0 ? Math.ceil(Math.max(meta.historyMs, MIN_WINDOW_MS) / meta.intervalMs) : 600);
      break;
    case 'snapshot':
      onSnapshot(frame.snapshot);
      break;
    case 'event':
      events.add([frame.event]);
      break;
    case 'heat':
      onHeat(frame.heat);
      break;
  }
  queueRender();
}

function onMeta(next: Meta): void {
  const sameSession = meta !== null && meta.startTimeMs === next.startTimeMs && meta.mode === next.mode;
  if (!sameSession) {
    // the server restarted, or another recording: forget drawing state
    events.clear();
    heatByVm.clear();
    detail.hotspots.reset();
    replayPlaced = false;
  }
  // a replay reconnect keeps its place: ask again for the snapshot at the clock's time
  replayResync = sameSession && next.mode === 'replay' && replayPlaced;
  meta = next;
  status.setMeta(next.mode === 'replay' ? 'replay' : 'live', next.intervalMs);
  const parts = [next.hostname, next.kernel && `Linux ${next.kernel}`, `every ${formatDuration(next.intervalMs)}`, next.faultlineVersion && `faultline ${next.faultlineVersion}`];
  setText(byId('host-id'), parts.filter(Boolean).join(' · '));
  document.title = `faultline · ${next.hostname}`;
  if (next.mode === 'replay') replay.show(next.startTimeMs, next.endTimeMs);
  else replay.hide();
}

function onSnapshot(s: Snapshot): void {
  snapshotsReceived += 1;
  status.snapshotArrived();
  const isReplay = meta?.mode === 'replay';
  if (!isReplay) {
    columns ??= columnsFromHistory({ timeMs: [], host: { memAvailableBytes: [], swapUsedBytes: [], psiMemSomeAvg10: [], lostEvents: [], oomKills: [] }, vms: [] }, 600);
    appendSnapshot(columns, s);
  } else {
    if (!replayPlaced) {
      replay.placeAt(s.timeMs);
      replayPlaced = true;
    } else if (replayResync) {
      replayResync = false;
      connection.send(JSON.stringify({ type: 'seek', timeMs: Math.round(replay.timeMs) }));
      return; // the server's greeting snapshot is the recording's first, not the one looked at
    }
    // moving backwards in a recording: the remembered hotspots no longer apply
    if (snapshot && s.timeMs < snapshot.timeMs) detail.hotspots.reset();
  }
  detail.hotspots.remember(s);
  events.add(s.events);
  snapshot = s;
}

function onHeat(h: HeatFrame): void {
  if (h.reset) heatByVm.clear();
  for (const vm of h.vms) heatByVm.set(vm.vmId, vm);
}

function queueRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render(): void {
  if (!snapshot || !columns) return;
  const started = performance.now();
  if (!selectedId || (!snapshot.vms.some((v) => v.id === selectedId) && !columns.vms.has(selectedId))) {
    // nothing chosen yet, or it is gone from the charts too: the first row (VMs sort first)
    selectedId = table.order(snapshot)[0] ?? '';
  }
  const markerMs = meta?.mode === 'replay' ? replay.timeMs : null;
  // the OOM card counts the same events the Events panel lists: from the charts' first
  // point up to now (replay: up to the time looked at)
  const windowStartMs = columns.timeMs[0] ?? 0;
  const oomKillsSoFar = events.newestFirst((e) => e.type === 'oom-kill' && e.timeMs >= windowStartMs, markerMs ?? Infinity).length;
  hostBar.update(snapshot, oomKillsSoFar, markerMs !== null);
  diagnosisStrip.update(snapshot.diagnosis);
  table.update(snapshot, selectedId);
  showVmNote(snapshot, columns, markerMs);
  detail.update({ snapshot, columns, selectedId, events, markerMs, deepLeaks: meta?.deepLeaks === true, heat: heatByVm.get(selectedId) ?? null });
  timeline.render(events, 'all', () => true, markerMs ?? Infinity);
  probes.update(snapshot.probes, meta);
  lastRenderMs = performance.now() - started;
  maxRenderMs = Math.max(maxRenderMs, lastRenderMs);
}

/** When no VM is in the table: say so, and in replay when the first VM comes. */
function showVmNote(s: Snapshot, c: Columns, markerMs: number | null): void {
  const note = byId('vm-note');
  let text = '';
  if (!s.vms.some((v) => v.kind === 'vm')) {
    const first = firstVmPoint(c, markerMs ?? -Infinity);
    text = first
      ? `No VM at this time; ${first.name} appears at ${formatClock(first.timeMs)}.`
      : markerMs !== null ? 'No VM in this recording at this time.' : 'No VM (QEMU process) on this host yet.';
  }
  setText(note, text);
  note.hidden = text === '';
}

/** The VM that first has a point after afterMs, and when. */
function firstVmPoint(c: Columns, afterMs: number): { name: string; timeMs: number } | null {
  let best: { name: string; timeMs: number } | null = null;
  for (const vm of c.vms.values()) {
    if (vm.kind !== 'vm') continue;
    const i = vm.rssBytes.findIndex((v, index) => v !== null && c.timeMs[index]! > afterMs);
    if (i >= 0 && (!best || c.timeMs[i]! < best.timeMs)) best = { name: vm.name || vm.id, timeMs: c.timeMs[i]! };
  }
  return best;
}

/** For the browser tests: drop the socket, and read what the page has. */
declare global {
  interface Window {
    faultlineTest: {
      dropConnection(): void;
      stats(): Record<string, number | string>;
      charts(): ReturnType<VmDetail['charts']['layout']>;
    };
  }
}
window.faultlineTest = {
  dropConnection: () => connection.drop(),
  stats: () => ({
    connects: connection.connects,
    snapshots: snapshotsReceived,
    freshness: status.freshness,
    mode: meta?.mode ?? '',
    seq: snapshot?.seq ?? -1,
    markerMs: meta?.mode === 'replay' ? replay.timeMs : 0,
    selectedId,
    historyPoints: columns?.timeMs.length ?? 0,
    chartPoints: detail.charts.pointCount(),
    heatFaults: heatByVm.get(selectedId)?.totalFaults ?? 0,
    firstPointMs: columns?.timeMs[0] ?? 0,
    selectedGuestRamBytes: columns?.vms.get(selectedId)?.guestRamBytes.findLast((v) => v !== null) ?? 0,
    lastRenderMs,
    maxRenderMs,
  }),
  charts: () => detail.charts.layout(),
};

connection.start();
