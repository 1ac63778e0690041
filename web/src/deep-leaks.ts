// Deep leak mode for the selected VM or process (`faultline live --allow-leaks`): a
// button that asks the server (POST /api/leaks, the page's token as Bearer) to trace
// the process's malloc/free for 30 s, then the call sites holding the most bytes.
// Shown only when Meta.deepLeaks says the server offers it. Text only: function and
// library names come from the traced process.
import type { VmSnapshot } from '../../src/model/snapshot.js';
import { clear, el, setText } from './dom.js';
import { formatBytes, formatCount } from '../../src/format/quantities.js';

const DURATION_S = 30;
const TOP_SITES = 10;

interface SiteJson { bytes: number; count: number; stack: string[] }
interface ReportJson { pid: number; comm: string; totalBytes: number; totalCount: number; sample: number; minAgeMs: number; tableFull: boolean; lostEvents: number; sites: SiteJson[] }

/** The page's ?token=, sent as Authorization: Bearer. */
function pageToken(): string | null {
  return new URLSearchParams(location.search).get('token');
}

export class DeepLeaks {
  private readonly button = el('button', 'deep-button', `Find leaking call sites (${DURATION_S} s)`);
  private readonly status = el('div', 'deep-status');
  private readonly result = el('div', 'deep-result');
  /** The pid the status and result are about; a trace runs when `running`. */
  private pid = -1;
  private running = false;
  private vm: VmSnapshot | null = null;

  constructor(private readonly root: HTMLElement) {
    this.button.type = 'button';
    this.button.addEventListener('click', () => void this.start());
    root.append(this.button, this.status, this.result);
    root.hidden = true;
  }

  update(vm: VmSnapshot | null, offered: boolean): void {
    this.vm = vm;
    this.root.hidden = !offered || vm === null;
    if (this.root.hidden) return;
    this.button.disabled = this.running;
    // what was found is about one process: show it only while that one is selected
    const mine = vm !== null && vm.pid === this.pid;
    this.status.hidden = !mine;
    this.result.hidden = !mine;
  }

  private async start(): Promise<void> {
    const vm = this.vm;
    if (!vm || this.running) return;
    this.running = true;
    this.pid = vm.pid;
    this.button.disabled = true;
    clear(this.result);
    this.status.hidden = false;
    this.result.hidden = false;
    setText(this.status, `tracing… (uprobes on this process's malloc/free: it runs slower for ${DURATION_S} s)`);
    try {
      const token = pageToken();
      const response = await fetch('/api/leaks', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ pid: vm.pid, durationS: DURATION_S }),
      });
      const body = (await response.json().catch(() => null)) as (ReportJson & { error?: string }) | null;
      if (!response.ok || !body || !Array.isArray(body.sites)) {
        setText(this.status, `deep leak trace failed: ${body?.error ?? `HTTP ${response.status}`}`);
        return;
      }
      this.render(body);
    } catch (error) {
      setText(this.status, `deep leak trace failed: ${String(error)}`);
    } finally {
      this.running = false;
      this.button.disabled = false;
    }
  }

  private render(report: ReportJson): void {
    const notes = [
      `${formatBytes(report.totalBytes)} in ${formatCount(report.totalCount)} allocations outstanding for over ${Math.round(report.minAgeMs / 1000)} s`,
      `(sampled 1 in ${report.sample})`,
    ];
    if (report.tableFull) notes.push('· table full: later allocations not kept');
    if (report.lostEvents) notes.push(`· ${formatCount(report.lostEvents)} events lost`);
    setText(this.status, `pid ${report.pid} (${report.comm}): ${notes.join(' ')}`);
    clear(this.result);
    if (report.sites.length === 0) {
      this.result.append(el('div', 'deep-empty', 'No outstanding allocations old enough: no leak seen in this window.'));
      return;
    }
    const list = el('ol', 'deep-sites');
    for (const site of report.sites.slice(0, TOP_SITES)) {
      const item = el('li');
      item.append(el('div', 'deep-site-bytes', `${formatBytes(site.bytes)} · ${formatCount(site.count)} allocations`));
      const stack = el('div', 'deep-stack', site.stack.join('\n'));
      item.append(stack);
      list.append(item);
    }
    this.result.append(list);
  }
}
