// Whether what the page shows is current: connected and fresh, stale (no snapshot for
// more than 2.5 intervals: the collector or the link is stuck), or disconnected and
// retrying. Stale and disconnected also dim the page (body[data-freshness]), so
// nobody reads old numbers as current ones.
import type { ConnectionState } from './connection.js';
import { setText, setTitle } from './dom.js';
import { formatDuration } from '../../src/format/quantities.js';
import { formatClock } from './format.js';

export const STALE_AFTER_INTERVALS = 2.5;

export type Freshness = 'fresh' | 'stale' | 'offline' | 'replay';

export class ConnectionStatus {
  private state: ConnectionState = 'connecting';
  private retryAtMs = 0;
  private lastSnapshotAtMs = 0;
  private intervalMs = 1000;
  private mode: 'live' | 'replay' | '' = '';
  freshness: Freshness = 'offline';

  constructor(private readonly pill: HTMLElement) {
    setInterval(() => this.render(), 500);
  }

  setState(state: ConnectionState, retryAtMs: number): void {
    this.state = state;
    this.retryAtMs = retryAtMs;
    this.render();
  }

  setMeta(mode: 'live' | 'replay', intervalMs: number): void {
    this.mode = mode;
    this.intervalMs = intervalMs > 0 ? intervalMs : 1000;
    this.render();
  }

  snapshotArrived(): void {
    this.lastSnapshotAtMs = Date.now();
    this.render();
  }

  render(): void {
    const now = Date.now();
    let text: string;
    let freshness: Freshness;
    if (this.state === 'waiting') {
      freshness = 'offline';
      text = `disconnected · retrying in ${formatDuration(Math.max(0, this.retryAtMs - now))}`;
    } else if (this.state === 'connecting' || !this.mode) {
      freshness = 'offline';
      text = 'connecting…';
    } else if (this.mode === 'replay') {
      freshness = 'replay';
      text = 'replay';
    } else {
      const ageMs = this.lastSnapshotAtMs ? now - this.lastSnapshotAtMs : Infinity;
      if (ageMs > STALE_AFTER_INTERVALS * this.intervalMs) {
        freshness = 'stale';
        text = this.lastSnapshotAtMs ? `stale · no data for ${formatDuration(ageMs)}` : 'waiting for the first snapshot';
      } else {
        freshness = 'fresh';
        text = `live · ${formatClock(this.lastSnapshotAtMs)}`;
      }
    }
    this.freshness = freshness;
    setText(this.pill, text);
    setTitle(this.pill, this.lastSnapshotAtMs ? `last snapshot received ${formatClock(this.lastSnapshotAtMs)}` : '');
    if (this.pill.dataset.freshness !== freshness) this.pill.dataset.freshness = freshness;
    if (document.body.dataset.freshness !== freshness) document.body.dataset.freshness = freshness;
  }
}
