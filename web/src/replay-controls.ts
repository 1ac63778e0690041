// Replay: a scrubber over the recording (startTimeMs..endTimeMs), play/pause and a
// speed (1x, 10x, 60x). The clock is the page's: while playing it advances by
// speed x wall time. Every move asks the server for the snapshot in force at that time
// (a `seek`), at most 10 per second with the last position always sent.
import { el, setText } from './dom.js';
import { formatDateTime, formatPlayerTime } from './format.js';

const SEEK_EVERY_MS = 100;
const SPEEDS = [1, 10, 60];

export class ReplayControls {
  private startMs = 0;
  private endMs = 0;
  private positionMs = 0;
  private speed = 1;
  private playing: ReturnType<typeof setInterval> | null = null;
  private lastTickMs = 0;
  private lastSeekAt = 0;
  private sentMs = NaN;
  private trailing: ReturnType<typeof setTimeout> | null = null;
  private readonly play: HTMLButtonElement;
  private readonly range: HTMLInputElement;
  private readonly label: HTMLElement;
  private readonly speedSelect: HTMLSelectElement;

  constructor(
    private readonly root: HTMLElement,
    /** Called on every move: the new time (ms since epoch). */
    private readonly onMove: (timeMs: number) => void,
    /** Asks the server for the snapshot at that time. */
    private readonly seek: (timeMs: number) => void,
  ) {
    this.play = el('button', 'play', 'Play');
    this.play.type = 'button';
    this.play.addEventListener('click', () => (this.playing ? this.pause() : this.start()));
    this.range = el('input', 'scrubber');
    this.range.type = 'range';
    this.range.min = '0';
    this.range.step = '1';
    this.range.setAttribute('aria-label', 'replay time');
    this.range.addEventListener('input', () => this.moveTo(this.startMs + Number(this.range.value)));
    this.speedSelect = el('select', 'speed');
    this.speedSelect.setAttribute('aria-label', 'replay speed');
    for (const s of SPEEDS) {
      const option = el('option', '', `${s}x`);
      option.value = String(s);
      this.speedSelect.append(option);
    }
    this.speedSelect.addEventListener('change', () => (this.speed = Number(this.speedSelect.value) || 1));
    this.label = el('span', 'replay-time');
    root.append(this.play, this.range, this.speedSelect, this.label);
  }

  show(startMs: number, endMs: number): void {
    this.root.hidden = false;
    this.startMs = startMs;
    this.endMs = Math.max(startMs, endMs);
    this.range.max = String(this.endMs - this.startMs);
    if (this.positionMs < startMs || this.positionMs > this.endMs) this.positionMs = startMs;
    this.draw();
  }

  hide(): void {
    this.pause();
    this.root.hidden = true;
  }

  /** The time looked at (ms since epoch). */
  get timeMs(): number {
    return this.positionMs;
  }

  /** Places the clock without asking the server (its snapshot is already here). */
  placeAt(timeMs: number): void {
    this.positionMs = Math.min(this.endMs, Math.max(this.startMs, timeMs));
    this.sentMs = this.positionMs;
    this.draw();
  }

  private start(): void {
    if (this.positionMs >= this.endMs) this.positionMs = this.startMs; // play again from the start
    this.lastTickMs = performance.now();
    this.playing = setInterval(() => this.tick(), SEEK_EVERY_MS);
    setText(this.play, 'Pause');
    this.play.dataset.playing = 'true';
  }

  private pause(): void {
    if (this.playing) clearInterval(this.playing);
    this.playing = null;
    setText(this.play, 'Play');
    delete this.play.dataset.playing;
  }

  private tick(): void {
    const now = performance.now();
    const next = this.positionMs + (now - this.lastTickMs) * this.speed;
    this.lastTickMs = now;
    this.moveTo(next);
    if (this.positionMs >= this.endMs) this.pause();
  }

  private moveTo(timeMs: number): void {
    this.positionMs = Math.min(this.endMs, Math.max(this.startMs, timeMs));
    this.draw();
    this.onMove(this.positionMs);
    this.requestSeek();
  }

  private requestSeek(): void {
    const now = performance.now();
    const wait = this.lastSeekAt + SEEK_EVERY_MS - now;
    if (wait <= 0) {
      this.sendSeek();
      return;
    }
    this.trailing ??= setTimeout(() => {
      this.trailing = null;
      this.sendSeek();
    }, wait);
  }

  private sendSeek(): void {
    this.lastSeekAt = performance.now();
    const timeMs = Math.round(this.positionMs);
    if (timeMs === this.sentMs) return;
    this.sentMs = timeMs;
    this.seek(timeMs);
  }

  private draw(): void {
    const offset = String(Math.round(this.positionMs - this.startMs));
    if (this.range.value !== offset) this.range.value = offset;
    setText(
      this.label,
      `${formatDateTime(this.positionMs)} · ${formatPlayerTime(this.positionMs - this.startMs)} of ${formatPlayerTime(this.endMs - this.startMs)}`,
    );
  }
}
