// Rare things, newest first: OOM kills, long reclaim stalls, VMs starting and exiting,
// lost events, probe errors, leak findings. The log keeps what this page received
// (each live snapshot carries its interval's events); one EventList shows all of them
// (the timeline), another only the selected VM's (in the VM detail).
import type { FaultlineEvent } from '../../src/model/snapshot.js';
import { clear, el, setText } from './dom.js';
import { formatDuration } from '../../src/format/quantities.js';
import { formatClock } from './format.js';

const MAX_EVENTS = 2000;
const MAX_ROWS = 200;

export class EventLog {
  private readonly events: FaultlineEvent[] = [];
  private readonly keys = new Set<string>();
  /** Bumped on every change, so lists redraw only when needed. */
  version = 0;

  /** Adds events not seen before (a reconnect or a replay seek may repeat them). */
  add(events: FaultlineEvent[]): void {
    for (const e of events) {
      const key = `${e.type}|${e.timeMs}|${e.pid}|${e.vmId}|${e.group}|${e.message}`;
      if (this.keys.has(key)) continue;
      this.keys.add(key);
      this.events.push(e);
      this.version += 1;
    }
    if (this.events.length > MAX_EVENTS) {
      this.events.sort((a, b) => a.timeMs - b.timeMs);
      for (const e of this.events.splice(0, this.events.length - MAX_EVENTS)) {
        this.keys.delete(`${e.type}|${e.timeMs}|${e.pid}|${e.vmId}|${e.group}|${e.message}`);
      }
    }
  }

  clear(): void {
    this.events.length = 0;
    this.keys.clear();
    this.version += 1;
  }

  /** Newest first, up to untilMs (replay: the time looked at). */
  newestFirst(filter: (e: FaultlineEvent) => boolean, untilMs = Infinity): FaultlineEvent[] {
    return this.events.filter((e) => e.timeMs <= untilMs && filter(e)).sort((a, b) => b.timeMs - a.timeMs);
  }
}

export class EventList {
  private drawnKey = '';
  private readonly list: HTMLOListElement;
  private readonly empty: HTMLElement;

  constructor(
    container: HTMLElement,
    private readonly nameOf: (e: FaultlineEvent) => string,
    private readonly onSelectVm: ((vmId: string) => void) | null,
    emptyText: string,
  ) {
    this.list = el('ol', 'events');
    this.empty = el('div', 'empty', emptyText);
    container.append(this.list, this.empty);
    this.list.addEventListener('click', (e) => {
      const vmId = (e.target as HTMLElement).closest('li')?.dataset.vmId;
      if (vmId && this.onSelectVm) this.onSelectVm(vmId);
    });
  }

  /** Redraws when the log, the filter or the time limit changed. */
  render(log: EventLog, filterKey: string, filter: (e: FaultlineEvent) => boolean, untilMs = Infinity): void {
    const key = `${log.version}|${filterKey}|${untilMs}`;
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    const events = log.newestFirst(filter, untilMs);
    clear(this.list);
    for (const e of events.slice(0, MAX_ROWS)) this.list.append(this.row(e));
    this.empty.hidden = events.length > 0;
  }

  private row(e: FaultlineEvent): HTMLLIElement {
    const li = el('li');
    li.dataset.type = e.type;
    if (e.vmId) li.dataset.vmId = e.vmId;
    li.append(el('span', 'ev-time', formatClock(e.timeMs)), el('span', 'ev-type', e.type), el('span', 'ev-who', this.nameOf(e)));
    const message = el('div', 'ev-message');
    setText(message, e.message || detail(e));
    li.append(message);
    return li;
  }
}

function detail(e: FaultlineEvent): string {
  if (e.type === 'reclaim-stall') return `stalled ${formatDuration(e.durationNs / 1e6)}`;
  if (e.type === 'lost-events') return `${e.count} events lost${e.group ? ` (${e.group})` : ''}`;
  return e.comm;
}
