// The errors a recording can raise, as FaultlineErrors with stable codes (listed in
// README.md, "When it fails", and docs/recording-format.md).
import { FaultlineError } from '../model/errors.js';

export type RecordingErrorCode =
  /** the file is not a .flt recording (wrong magic) */
  | 'E_NOT_RECORDING'
  /** written by a newer faultline (format version above ours) */
  | 'E_RECORDING_VERSION'
  /** ends before its header and Meta frame: nothing to read */
  | 'E_RECORDING_TRUNCATED'
  /** its header (the Meta frame) is damaged */
  | 'E_RECORDING_CORRUPT'
  /** cannot open or read the file (ENOENT, EACCES, EISDIR...) */
  | 'E_RECORDING_READ'
  /** cannot create or write the recording, or a report or export (EEXIST, EACCES, ENOSPC, EROFS...) */
  | 'E_RECORDING_WRITE';

export function recordingError(code: RecordingErrorCode, message: string, hint: string, evidence: string[] = []): FaultlineError {
  return new FaultlineError(code, message, hint, evidence);
}

const WRITE_HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full: free space or record to another disk (-o /other/disk/FILE)',
  EDQUOT: 'the disk quota is used up: free space or record elsewhere',
  EACCES: 'no permission to write there: choose another -o path',
  EPERM: 'no permission to write there: choose another -o path',
  EROFS: 'the file system is read-only: choose another -o path',
  ENOENT: 'the folder does not exist: create it or choose another -o path',
  EEXIST: 'the file exists: choose another name, or pass --force to overwrite it',
  EISDIR: '-o names a folder: give a file name, e.g. -o incident.flt',
};

const READ_HINTS: Record<string, string> = {
  ENOENT: 'check the path',
  EACCES: 'no permission to read it: check its owner, or use sudo',
  EISDIR: 'that is a folder: give a .flt file',
};

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException | null)?.code ?? '';
}

/** `what`: "the recording", "the report"... */
export function writeError(path: string, error: unknown, what = 'the recording'): FaultlineError {
  const code = errnoOf(error);
  return recordingError('E_RECORDING_WRITE', `cannot write ${what} ${path}: ${code || (error as Error).message}`,
    WRITE_HINTS[code] ?? 'check the path and the disk', [String((error as Error).message ?? error)]);
}

export function readError(path: string, error: unknown): FaultlineError {
  const code = errnoOf(error);
  return recordingError('E_RECORDING_READ', `cannot read ${path}: ${code || (error as Error).message}`,
    READ_HINTS[code] ?? 'check the path', [String((error as Error).message ?? error)]);
}
