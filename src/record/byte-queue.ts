// A growable window of bytes: append at the end, consume from the front. Amortized
// O(1) per byte; it holds only what has not been consumed yet.

export class ByteQueue {
  bytes = new Uint8Array(64 * 1024);
  start = 0;
  end = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    const live = this.end - this.start;
    if (this.end + chunk.length > this.bytes.length) {
      if (live + chunk.length <= this.bytes.length) {
        this.bytes.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(this.bytes.length * 2, live + chunk.length));
        grown.set(this.bytes.subarray(this.start, this.end));
        this.bytes = grown;
      }
      this.start = 0;
      this.end = live;
    }
    this.bytes.set(chunk, this.end);
    this.end += chunk.length;
  }

  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** A copy of bytes [start + from, start + to). */
  copy(from: number, to: number): Uint8Array {
    return this.bytes.slice(this.start + from, this.start + to);
  }
}
