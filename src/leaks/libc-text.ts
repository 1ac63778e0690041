// Where the process's glibc is: the executable mapping of libc.so.6 in
// /proc/PID/maps. probes/leaks.bt needs its range to tell libc's own mmap calls
// (malloc's big blocks) from the program's. parse is pure; read does the IO.
import { parseMaps } from '../host/proc-maps.js';
import { readLockedTextOrNull, readTextOrNull } from '../host/read-proc-file.js';

export interface LibcText {
  path: string;
  start: number;
  end: number;
}

const LIBC = /\/libc(?:\.so\.6|-2\.\d+\.so)$/;

export function libcTextOf(mapsText: string): LibcText | null {
  const text = parseMaps(mapsText).find((m) => m.perms.startsWith('r-x') && LIBC.test(m.path));
  return text ? { path: text.path, start: text.start, end: text.end } : null;
}

/** null when the process is gone; { libc: null } when it has no glibc (static, musl). */
export async function readLibcText(procRoot: string, pid: number): Promise<{ libc: LibcText | null; comm: string } | null> {
  const [maps, comm] = await Promise.all([readLockedTextOrNull(`${procRoot}/${pid}/maps`), readTextOrNull(`${procRoot}/${pid}/comm`)]);
  if (maps === null) return null;
  return { libc: libcTextOf(maps), comm: (comm ?? '').trim() };
}
