// Cuts a byte stream into .flt records (src/record/flt-format.ts), skipping damage.
// Pure and incremental: push bytes as they are read, call next() until it asks for
// more. It holds at most one record plus one read.
//
// Resync: where the bytes are not a whole, CRC-checked record, the scanner looks for
// the next SYNC that starts one and counts the bytes in between as one damaged run.
// At the end of the input, a record that runs past the end is a truncated tail
// (bytesIgnoredAtEnd), unless a whole record follows it (then it is damage too).
import { findSync, recordAt, SYNC, type RecordKind } from './flt-format.js';
import { ByteQueue } from './byte-queue.js';

export interface ScannedRecord {
  kind: RecordKind;
  payload: Uint8Array;
  /** File offset of the record's first byte. */
  offset: number;
}

export interface Damage {
  /** File offset of the first damaged byte. */
  offset: number;
  bytes: number;
}

export class RecordScanner {
  private queue = new ByteQueue();
  private ended = false;
  private run: Damage | null = null;
  private damage: Damage[] = [];
  bytesIgnoredAtEnd = 0;

  /** `offset`: where in the file the first pushed byte sits. */
  constructor(private offset = 0) {}

  push(bytes: Uint8Array): void {
    this.queue.push(bytes);
  }

  /** No more bytes will come. */
  finish(): void {
    this.ended = true;
  }

  /** Damaged runs found since the last call. */
  takeDamage(): Damage[] {
    return this.damage.splice(0);
  }

  next(): ScannedRecord | 'need-more' | 'done' {
    const q = this.queue;
    for (;;) {
      if (q.length === 0) {
        if (!this.ended) return 'need-more';
        this.closeRun();
        return 'done';
      }
      const found = recordAt(q.bytes, q.start, q.end);
      if (found.ok) {
        this.closeRun();
        const record = { kind: found.kind, payload: q.copy(found.payloadStart - q.start, found.payloadEnd - q.start), offset: this.offset };
        this.consume(found.end - q.start);
        return record;
      }
      if (found.problem === 'incomplete') {
        if (!this.ended) return 'need-more';
        const next = this.nextWholeRecord(q.start + 1);
        if (next >= 0) {
          this.skipTo(next);
          continue;
        }
        this.closeRun();
        this.bytesIgnoredAtEnd = q.length;
        this.consume(q.length);
        return 'done';
      }
      const sync = findSync(q.bytes, q.start + 1, q.end);
      if (sync >= 0) this.skipTo(sync);
      else if (this.ended) this.skipTo(q.end);
      else {
        // keep a tail that may be the start of a SYNC split across reads
        this.skipTo(Math.max(q.start + 1, q.end - (SYNC.length - 1)));
        return 'need-more';
      }
    }
  }

  private nextWholeRecord(from: number): number {
    const q = this.queue;
    for (let s = findSync(q.bytes, from, q.end); s >= 0; s = findSync(q.bytes, s + 1, q.end)) {
      if (recordAt(q.bytes, s, q.end).ok) return s;
    }
    return -1;
  }

  private skipTo(index: number): void {
    const n = index - this.queue.start;
    this.run ??= { offset: this.offset, bytes: 0 };
    this.run.bytes += n;
    this.consume(n);
  }

  private closeRun(): void {
    if (this.run) this.damage.push(this.run);
    this.run = null;
  }

  private consume(n: number): void {
    this.queue.consume(n);
    this.offset += n;
  }
}
