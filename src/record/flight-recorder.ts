// Flight-recorder mode (`faultline record --ring 10m`): the last N minutes of frames
// stay in memory, compressed, and are written only when an incident happens (see
// incident.ts) or on demand (SIGUSR1). After an incident the recorder keeps writing
// for another N minutes (longer if incidents go on), then goes back to the ring. So
// the file holds the minutes before and after each incident, with gaps between.
//
// The ring holds whole chunks (src/record/chunk-codec.ts), so what it writes always
// starts with a chunk that decodes on its own; it holds between N minutes and N
// minutes plus one chunk. Memory: about the recording's size for N minutes (50 VMs,
// 10 minutes: 2-3 MB, see docs/recording-format.md).
import { formatDuration } from '../format/quantities.js';
import type { Frame } from '../model/snapshot.js';
import type { FaultlineError } from '../model/errors.js';
import type { RecordEncoder, RecordingFile, RecordingWriter } from './writer.js';
import { incidentIn, type IncidentRules } from './incident.js';

interface RingChunk {
  firstTimeMs: number;
  records: Uint8Array[];
}

export interface FlightRecorderOptions extends IncidentRules {
  windowMs: number;
  log: (line: string) => void;
}

export class FlightRecorder {
  framesWritten = 0;
  dumps = 0;
  private ring: RingChunk[] = [];
  private writeThroughUntilMs = -Infinity;
  private lastTimeMs = 0;

  /** `writer`: where the ring goes; its queue orders the work and keeps the first error. */
  constructor(private readonly writer: RecordingWriter, private readonly options: FlightRecorderOptions) {}

  get bytesWritten(): number {
    return this.writer.bytesWritten;
  }

  get error(): FaultlineError | null {
    return this.writer.error;
  }

  get framesInRing(): number {
    return this.ring.reduce((sum, c) => sum + c.records.length, 0);
  }

  get writingThrough(): boolean {
    return this.lastTimeMs < this.writeThroughUntilMs;
  }

  append(frame: Frame): Promise<void> {
    return this.writer.run((encoder, file) => this.add(frame, encoder, file));
  }

  /** Write the ring now (SIGUSR1). */
  dump(reason: string): Promise<void> {
    return this.writer.run((_encoder, file) => this.flushRing(reason, this.lastTimeMs || Date.now(), file));
  }

  close(): Promise<FaultlineError | null> {
    return this.writer.close();
  }

  private async add(frame: Frame, encoder: RecordEncoder, file: RecordingFile): Promise<void> {
    const snapshot = 'snapshot' in frame ? frame.snapshot : null;
    const timeMs = snapshot?.timeMs ?? this.lastTimeMs;
    const wasWriting = this.writingThrough;
    this.lastTimeMs = timeMs;
    const window = formatDuration(this.options.windowMs);
    if (wasWriting && !this.writingThrough) {
      // back to the ring: it must start with a chunk that decodes on its own
      encoder.restartChunk();
      this.options.log(`faultline: ${window} without an incident; back to keeping the last ${window} in memory`);
    }
    const { record, chunkStart } = await encoder.encode(frame);
    if (this.writingThrough) {
      await file.write(record);
      this.framesWritten += 1;
    } else {
      if (chunkStart || this.ring.length === 0) this.ring.push({ firstTimeMs: timeMs, records: [] });
      this.ring.at(-1)!.records.push(record);
      // drop the oldest chunk once the next one alone reaches back far enough
      while (this.ring.length > 1 && this.ring[1]!.firstTimeMs <= timeMs - this.options.windowMs) this.ring.shift();
    }
    const incident = snapshot && incidentIn(snapshot, this.options);
    if (incident) await this.flushRing(incident, timeMs, file);
  }

  private async flushRing(reason: string, nowMs: number, file: RecordingFile): Promise<void> {
    const frames = this.framesInRing;
    const records = this.ring.flatMap((c) => c.records);
    this.ring = [];
    if (records.length > 0) await file.write(Buffer.concat(records));
    this.framesWritten += frames;
    this.dumps += 1;
    const already = this.writingThrough;
    this.writeThroughUntilMs = nowMs + this.options.windowMs;
    const window = formatDuration(this.options.windowMs);
    this.options.log(already
      ? `faultline: ${reason}; recording on for ${window} more`
      : `faultline: ${reason}; wrote the last ${frames} frames to ${file.path}, recording on for ${window}`);
  }
}
