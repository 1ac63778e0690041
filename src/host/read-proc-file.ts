// Reading /proc and /sys files where a missing file is normal: a process can exit
// between listing /proc and reading its files (ENOENT, or ESRCH mid-read), older
// kernels lack some files (smaps_rollup < 4.14, ksm_stat < 6.1), and without root
// another user's maps are unreadable (EACCES). All of these mean "no data", not an
// error worth stopping a poll for. Anything else (EMFILE, EIO) still throws.
import { readFile } from 'node:fs/promises';

const NO_DATA_CODES = new Set(['ENOENT', 'ESRCH', 'ENOTDIR', 'EACCES', 'EPERM']);

export function isNoDataError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && NO_DATA_CODES.has(code);
}

/** The file's text, or null when it is gone, not provided by this kernel, or unreadable. */
export async function readTextOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isNoDataError(err)) return null;
    throw err;
  }
}
