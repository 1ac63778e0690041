// Writes .flt recordings: the header, then one record per Frame, each written as
// soon as it is made (a crash loses at most the frame being written), fsync on close.
// Write errors (a full disk, no permission) become one FaultlineError, reported once;
// the writer then stops writing and never throws into the live session.
import { lstat, open, unlink, type FileHandle } from 'node:fs/promises';
import type { Frame, Meta } from '../model/snapshot.js';
import { FaultlineError } from '../model/errors.js';
import { encodeFrame } from '../proto/codec.js';
import { encodeHeader, encodeRecord, RECORDING_FORMAT_VERSION, RecordKind } from './flt-format.js';
import { ChunkEncoder, FRAMES_PER_CHUNK } from './chunk-codec.js';
import { writeError } from './record-errors.js';

/** Frame -> record bytes: compressed in chunks (the default) or one plain Frame per record. */
export class RecordEncoder {
  private chunks: ChunkEncoder | null;

  constructor(options: { compress?: boolean; framesPerChunk?: number } = {}) {
    this.chunks = options.compress === false ? null : new ChunkEncoder(options.framesPerChunk ?? FRAMES_PER_CHUNK);
  }

  async encode(frame: Frame): Promise<{ record: Uint8Array; chunkStart: boolean }> {
    const bytes = encodeFrame(frame);
    if (!this.chunks) return { record: encodeRecord(RecordKind.frame, bytes), chunkStart: true };
    const { chunkStart, payload } = await this.chunks.encode(bytes);
    return { record: encodeRecord(chunkStart ? RecordKind.chunkStart : RecordKind.chunkNext, payload), chunkStart };
  }

  /** The next frame starts a chunk that decodes on its own. */
  restartChunk(): void {
    this.chunks?.restart();
  }

  close(): void {
    this.chunks?.close();
  }
}

/** The file: created first (so a bad path fails before tracing starts), then its
 * header and Meta, then whole records appended. */
export class RecordingFile {
  bytesWritten = 0;

  private constructor(readonly path: string, private readonly handle: FileHandle, private readonly created: boolean) {}

  /** Creates the file, refusing to replace one unless `overwrite`. */
  static async create(path: string, options: { overwrite?: boolean } = {}): Promise<RecordingFile> {
    const existed = await lstat(path).then(() => true, () => false);
    try {
      return new RecordingFile(path, await open(path, options.overwrite ? 'w' : 'wx', 0o644), !existed);
    } catch (error) {
      throw writeError(path, error);
    }
  }

  /** Magic, version and the Meta frame, on disk before the first snapshot. */
  async writeHeader(meta: Meta): Promise<void> {
    const metaFrame = encodeRecord(RecordKind.frame, encodeFrame({ meta: { ...meta, formatVersion: RECORDING_FORMAT_VERSION } }));
    await this.write(Buffer.concat([encodeHeader(), metaFrame]));
    try {
      await this.handle.datasync();
    } catch (error) {
      throw writeError(this.path, error);
    }
  }

  /** Closes the file and, when this recorder created it, removes it: for when
   * tracing did not start or the header could not be written. */
  async discard(): Promise<void> {
    await this.handle.close().catch(() => {});
    if (this.created) await unlink(this.path).catch(() => {});
  }

  async write(bytes: Uint8Array): Promise<void> {
    try {
      for (let done = 0; done < bytes.length; ) {
        const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done);
        done += bytesWritten;
        this.bytesWritten += bytesWritten;
      }
    } catch (error) {
      throw writeError(this.path, error);
    }
  }

  async close(): Promise<void> {
    try {
      await this.handle.sync();
    } catch (error) {
      await this.handle.close().catch(() => {});
      throw writeError(this.path, error);
    }
    await this.handle.close();
  }
}

export interface RecordingWriterOptions {
  compress?: boolean;
  framesPerChunk?: number;
  overwrite?: boolean;
  /** Called once, on the first write error; appends after it are dropped. */
  onError?: (error: FaultlineError) => void;
}

/** Appends Frames to a recording as they come. append() never rejects. */
export class RecordingWriter {
  framesWritten = 0;
  error: FaultlineError | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: RecordingFile,
    private readonly encoder: RecordEncoder,
    private readonly options: Pick<RecordingWriterOptions, 'onError'> = {},
  ) {}

  /** Creates the file and writes its header: for callers that have the Meta already. */
  static async open(path: string, meta: Meta, options: RecordingWriterOptions = {}): Promise<RecordingWriter> {
    const file = await RecordingFile.create(path, options);
    try {
      await file.writeHeader(meta);
    } catch (error) {
      await file.discard();
      throw error;
    }
    return new RecordingWriter(file, new RecordEncoder(options), options);
  }

  get path(): string {
    return this.file.path;
  }

  get bytesWritten(): number {
    return this.file.bytesWritten;
  }

  /** Runs `work` after everything queued before it. An error in it becomes the
   * writer's error (reported once); work queued after an error is dropped. */
  run(work: (encoder: RecordEncoder, file: RecordingFile) => Promise<void>): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (this.error) return;
      try {
        await work(this.encoder, this.file);
      } catch (error) {
        this.fail(error);
      }
    });
    return this.queue;
  }

  /** Queues the frame; resolves once it is written (or dropped after an error). */
  append(frame: Frame): Promise<void> {
    return this.run(async (encoder, file) => {
      const { record } = await encoder.encode(frame);
      await file.write(record);
      this.framesWritten += 1;
    });
  }

  private fail(error: unknown): void {
    this.error = error instanceof FaultlineError ? error : writeError(this.file.path, error);
    this.options.onError?.(this.error);
  }

  /** Writes what is queued, fsyncs and closes. Resolves to the write error, if any. */
  async close(): Promise<FaultlineError | null> {
    await this.queue;
    this.encoder.close();
    try {
      await this.file.close();
    } catch (error) {
      if (!this.error) this.fail(error);
    }
    return this.error;
  }
}
