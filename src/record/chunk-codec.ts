// Chunks: runs of frames compressed as one brotli stream, flushed after every frame,
// so each frame's record can be written (and read back) as soon as it is made, while
// the compressor still sees the frames before it. Measured on synthetic 50-VM
// snapshots (bench/recording-size.ts), that is 6-8x smaller than compressing each
// frame alone, because a VM's row changes little from one interval to the next.
//
// The stream of a chunk is length-delimited Frames (varint length, then the Frame),
// one Frame per record. A chunk restarts every `framesPerChunk` frames: the first
// record of a chunk (kind K) can be decoded without anything before it, which is
// where a reader resumes after damage and where a replay can seek to.
import zlib from 'node:zlib';
import { ByteQueue } from './byte-queue.js';
import { MAX_PAYLOAD_BYTES } from './flt-format.js';
import { decodeVarint, encodeVarint } from './varint.js';

export const FRAMES_PER_CHUNK = 60;
/** Brotli quality 5, 4 MiB window: ~0.7 ms of CPU per 50-VM frame (bench/recording-size.ts). */
const BROTLI_QUALITY = 5;
const BROTLI_WINDOW_BITS = 22;

function concat(parts: Buffer[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

export class ChunkEncoder {
  private stream: zlib.BrotliCompress | null = null;
  private output: Buffer[] = [];
  private framesInChunk = 0;

  constructor(private readonly framesPerChunk = FRAMES_PER_CHUNK) {}

  /** The next frame starts a new chunk. */
  restart(): void {
    this.stream?.destroy();
    this.stream = null;
  }

  /** Compresses one encoded Frame; resolves to its record payload. Calls must not overlap. */
  async encode(frame: Uint8Array): Promise<{ chunkStart: boolean; payload: Uint8Array }> {
    const chunkStart = this.stream === null || this.framesInChunk >= this.framesPerChunk;
    if (chunkStart) {
      this.restart();
      const stream = zlib.createBrotliCompress({
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
          [zlib.constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS,
        },
      });
      stream.on('data', (bytes: Buffer) => this.output.push(bytes));
      this.stream = stream;
      this.framesInChunk = 0;
    }
    const stream = this.stream!;
    stream.write(encodeVarint(frame.length));
    stream.write(frame);
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.flush(zlib.constants.BROTLI_OPERATION_FLUSH, () => {
        stream.off('error', reject);
        resolve();
      });
    });
    this.framesInChunk += 1;
    const payload = concat(this.output.splice(0));
    return { chunkStart, payload };
  }

  close(): void {
    this.restart();
  }
}

/** Decodes one chunk, record by record. Throws on bytes that are not a chunk. */
export class ChunkDecoder {
  private stream = zlib.createBrotliDecompress();
  private pending = new ByteQueue();
  private failure: Error | null = null;

  constructor() {
    this.stream.on('data', (bytes: Buffer) => this.pending.push(bytes));
    this.stream.on('error', (error: Error) => (this.failure ??= error));
  }

  /** The frames this record completes (one, for records the writer made). */
  async decode(payload: Uint8Array): Promise<Uint8Array[]> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off('error', done);
        resolve();
      };
      this.stream.once('error', done);
      this.stream.write(payload, done);
    });
    if (this.failure) throw this.failure;
    const frames: Uint8Array[] = [];
    const q = this.pending;
    for (;;) {
      const length = decodeVarint(q.bytes, q.start, q.end);
      if (length === 'incomplete') break;
      if (length === 'invalid' || length.value > MAX_PAYLOAD_BYTES) throw new Error('chunk holds a frame length that cannot be right');
      if (q.length < length.length + length.value) {
        if (q.length > MAX_PAYLOAD_BYTES + 8) throw new Error('chunk frame is over the size limit');
        break;
      }
      frames.push(q.copy(length.length, length.length + length.value));
      q.consume(length.length + length.value);
    }
    return frames;
  }

  close(): void {
    this.stream.destroy();
  }
}
