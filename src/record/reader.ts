// Reads a .flt recording as a stream of Frames, in bounded memory (one record, one
// chunk's decompressor, one read buffer), skipping damage and saying what it skipped.
// A frame that claims a huge length is damage for that frame, never an allocation.
import { createReadStream } from 'node:fs';
import type { Frame, Meta, Snapshot } from '../model/snapshot.js';
import { decodeFrame } from '../proto/codec.js';
import { HEADER_BYTES, parseHeader, RECORDING_FORMAT_VERSION, RecordKind, MAGIC } from './flt-format.js';
import { RecordScanner, type Damage, type ScannedRecord } from './record-scanner.js';
import { ChunkDecoder } from './chunk-codec.js';
import { ByteQueue } from './byte-queue.js';
import { readError, recordingError } from './record-errors.js';

export interface ReadStats {
  frames: number;
  snapshots: number;
  /** Bytes after the last whole record: a recording cut short mid-write. */
  bytesIgnoredAtEnd: number;
  /** Frames lost to damage: counted from the snapshot sequence numbers around each
   * damaged place, and at least one per damaged place. */
  corruptFramesSkipped: number;
  /** Where the damaged bytes were. */
  damage: Damage[];
}

export interface RecordingInput {
  name: string;
  chunks: AsyncIterable<Uint8Array>;
}

/** `start`: a file offset to read from (for a reader opened at a chunk). */
export function fileInput(path: string, start = 0): RecordingInput {
  return { name: path, chunks: createReadStream(path, { highWaterMark: 64 * 1024, start }) };
}

/** Bytes in memory, handed over `chunkBytes` at a time (tests cut reads anywhere). */
export function bytesInput(name: string, bytes: Uint8Array, chunkBytes = 64 * 1024): RecordingInput {
  return {
    name,
    chunks: (async function* () {
      for (let i = 0; i < bytes.length; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
    })(),
  };
}

type Pull = () => Promise<Uint8Array | null>;

function puller(input: RecordingInput): { pull: Pull; release: () => Promise<void> } {
  const iterator = input.chunks[Symbol.asyncIterator]();
  return {
    pull: async () => {
      try {
        const next = await iterator.next();
        return next.done ? null : next.value;
      } catch (error) {
        throw readError(input.name, error);
      }
    },
    release: async () => void (await iterator.return?.()),
  };
}

function notRecording(name: string, head: Uint8Array): Error {
  const text = Buffer.from(head.subarray(0, 16)).toString('latin1');
  const looksLike = text.trimStart().startsWith('{') ? ' (it looks like JSON: `faultline live --json` output is not a recording)' : '';
  return recordingError('E_NOT_RECORDING', `${name} is not a faultline recording${looksLike}`,
    'record one with: sudo faultline record -o FILE.flt',
    [`first bytes: ${Buffer.from(head.subarray(0, 16)).toString('hex')}; a recording starts with ${Buffer.from(MAGIC).toString('hex')}`]);
}

async function nextRecord(scanner: RecordScanner, pull: Pull): Promise<ScannedRecord | 'done'> {
  for (;;) {
    const next = scanner.next();
    if (next !== 'need-more') return next;
    const chunk = await pull();
    if (chunk) scanner.push(chunk);
    else scanner.finish();
  }
}

export class RecordingReader {
  readonly stats: ReadStats = { frames: 0, snapshots: 0, bytesIgnoredAtEnd: 0, corruptFramesSkipped: 0, damage: [] };
  /** File offset of the record from which the frame frames() last yielded can be
   * decoded again (its chunk's start): give it to openRecording's `startAt` to seek. */
  chunkOffset = 0;
  private started = false;

  constructor(
    readonly name: string,
    readonly version: number,
    readonly meta: Meta,
    private readonly scanner: RecordScanner,
    private readonly pull: Pull,
    private readonly release: () => Promise<void>,
  ) {}

  /** Every frame after the header, in order. One pass only. */
  async *frames(): AsyncGenerator<Frame> {
    if (this.started) throw new Error('a recording is read once; open it again to read it again');
    this.started = true;
    let decoder: ChunkDecoder | null = null;
    let lost = 0; // frames known lost since the last snapshot
    let lastSeq: number | null = null;
    let chunk = 0;
    try {
      for (;;) {
        const record = await nextRecord(this.scanner, this.pull);
        const damage = this.scanner.takeDamage();
        if (damage.length > 0) {
          this.stats.damage.push(...damage);
          lost += damage.length;
          decoder?.close(); // the chunk's stream lost bytes: its next records cannot decode
          decoder = null;
        }
        if (record === 'done') break;
        let payloads: Uint8Array[] = [];
        try {
          if (record.kind === RecordKind.frame) {
            payloads = [record.payload];
            chunk = record.offset;
          } else if (record.kind === RecordKind.chunkStart) {
            decoder?.close();
            decoder = new ChunkDecoder();
            chunk = record.offset;
            payloads = await decoder.decode(record.payload);
          } else if (decoder) payloads = await decoder.decode(record.payload);
          else lost += 1; // its chunk's start was lost
        } catch {
          decoder?.close();
          decoder = null;
          lost += 1;
          this.stats.damage.push({ offset: record.offset, bytes: record.payload.length });
        }
        for (const payload of payloads) {
          let frame: Frame;
          try {
            frame = decodeFrame(payload);
          } catch {
            lost += 1;
            this.stats.damage.push({ offset: record.offset, bytes: record.payload.length });
            continue;
          }
          this.stats.frames += 1;
          if ('snapshot' in frame) {
            const seq = frame.snapshot.seq;
            if (lost > 0) this.stats.corruptFramesSkipped += Math.max(lost, lastSeq !== null && seq > lastSeq ? seq - lastSeq - 1 : 0);
            lost = 0;
            lastSeq = seq;
            this.stats.snapshots += 1;
          }
          this.chunkOffset = chunk;
          yield frame;
        }
      }
      this.stats.corruptFramesSkipped += lost;
      this.stats.bytesIgnoredAtEnd = this.scanner.bytesIgnoredAtEnd;
    } finally {
      decoder?.close();
      await this.release();
    }
  }

  async *snapshots(): AsyncGenerator<Snapshot> {
    for await (const frame of this.frames()) if ('snapshot' in frame) yield frame.snapshot;
  }

  /** Stop reading early (frames() not run to the end). */
  async close(): Promise<void> {
    await this.release();
  }
}

/** Opens a recording and reads its header and Meta. Throws a FaultlineError for a
 * file that is missing, not a recording, from a newer faultline, or cut short inside
 * its header. `startAt` (files only): read frames from that offset on, a chunkOffset
 * from an earlier pass (a replay seeking without reading from the start). */
export async function openRecording(source: string | RecordingInput, options: { startAt?: number } = {}): Promise<RecordingReader> {
  const input = typeof source === 'string' ? fileInput(source) : source;
  let { pull, release } = puller(input);
  try {
    const head = new ByteQueue();
    let ended = false;
    while (head.length < HEADER_BYTES && !ended) {
      const chunk = await pull();
      if (chunk) head.push(chunk);
      else ended = true;
    }
    const headBytes = head.copy(0, Math.min(head.length, HEADER_BYTES));
    const header = parseHeader(headBytes);
    const cutShort = (what: string): Error => recordingError('E_RECORDING_TRUNCATED', `${input.name} ${what}: there is nothing to read`,
      'the recorder stopped (or the disk filled) before it wrote the header; record again');
    if (!header.ok) {
      const isMagicPrefix = headBytes.every((b, i) => b === MAGIC[i]);
      if (header.problem === 'truncated' || (headBytes.length < MAGIC.length && isMagicPrefix)) {
        throw cutShort(headBytes.length === 0 ? 'is empty' : 'ends inside its header');
      }
      throw notRecording(input.name, headBytes);
    }
    if (header.version > RECORDING_FORMAT_VERSION) {
      throw recordingError('E_RECORDING_VERSION',
        `${input.name} was written by a newer faultline (recording format ${header.version}; this one reads up to ${RECORDING_FORMAT_VERSION})`,
        'upgrade faultline to read it');
    }
    let scanner = new RecordScanner(HEADER_BYTES);
    scanner.push(head.copy(HEADER_BYTES, head.length));
    if (ended) scanner.finish();
    const first = await nextRecord(scanner, pull);
    const damaged = scanner.takeDamage().length > 0;
    if (first === 'done' && !damaged) throw cutShort('ends inside its header');
    let meta: Meta | null = null;
    if (first !== 'done' && !damaged && first.kind === RecordKind.frame) {
      try {
        const frame = decodeFrame(first.payload);
        if ('meta' in frame) meta = frame.meta;
      } catch {
        // reported below
      }
    }
    if (!meta) {
      throw recordingError('E_RECORDING_CORRUPT', `${input.name}: its header (the Meta frame after the magic) is damaged`,
        'the rest may still hold data, but this faultline reads only recordings whose header is whole');
    }
    if (options.startAt !== undefined) {
      if (typeof source !== 'string') throw new Error('startAt needs a file path');
      await release();
      ({ pull, release } = puller(fileInput(source, options.startAt)));
      scanner = new RecordScanner(options.startAt);
    }
    return new RecordingReader(input.name, header.version, meta, scanner, pull, release);
  } catch (error) {
    await release().catch(() => {});
    throw error;
  }
}

/** One line for a human when the recording was damaged or cut short; null when whole. */
export function describeDamage(name: string, stats: ReadStats): string | null {
  const parts: string[] = [];
  if (stats.damage.length > 0) {
    const bytes = stats.damage.reduce((sum, d) => sum + d.bytes, 0);
    const where = stats.damage.slice(0, 3).map((d) => `byte ${d.offset}`).join(', ') + (stats.damage.length > 3 ? ', ...' : '');
    parts.push(`skipped ${stats.corruptFramesSkipped} damaged frame${stats.corruptFramesSkipped === 1 ? '' : 's'} (${bytes} bytes at ${where}) and read on past them`);
  }
  if (stats.bytesIgnoredAtEnd > 0) {
    parts.push(`ignored the last ${stats.bytesIgnoredAtEnd} bytes (the recording was cut short inside its last frame)`);
  }
  return parts.length ? `${name}: ${parts.join('; ')}` : null;
}
