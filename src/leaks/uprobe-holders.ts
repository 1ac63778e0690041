// Who else holds a uprobe on the functions the leak probes need, when bpftrace
// could not attach.
//
// The kernel keeps one `struct uprobe` per (inode, file offset) and refuses a
// second consumer whose reference-counter (USDT semaphore) offset differs:
// "ref_ctr_offset mismatch ... ref_ctr_offset(old): 0x6 ref_ctr_offset(new): 0x0"
// in the kernel log, EINVAL to perf_event_open. bpftrace (0.17-0.27) passes 0 for a
// uprobe. bcc's python tools (memleak-bpfcc and the rest) pass whatever was on the
// stack: bcc's ctypes binding declares bpf_attach_uprobe with 6 arguments while the
// C function takes 7, the last being ref_ctr_offset (bcc src/python/bcc/libbcc.py vs
// src/cc/libbpf.c; 0x6 on this VM). So a bpftrace program and a bcc python tool can
// never share a probed function, in either order; two bpftrace programs can. A
// return probe cannot be moved off the function's first byte (bpftrace refuses
// uretprobes at an offset, and the return address is only at the stack top there),
// so faultline cannot side-step the clash for malloc and friends: it names them.
//
// Evidence: `bpftool perf show --json` (pid, fd, uprobe|uretprobe, filename, file
// offset of every perf-event-attached BPF program) and the kernel log's mismatch
// lines. Parsing is pure; gathering does the IO.
import { readFileSync, statSync } from 'node:fs';
import { execa } from 'execa';
import { readCounterTextOrNull } from '../host/read-proc-file.js';
import { elfFunctions, namesAt } from './elf-symbols.js';

export interface UprobeHolder {
  pid: number;
  kind: string;
  filename: string;
  offset: number;
}

export interface RefCtrMismatch {
  inode: number;
  offset: number;
  oldRefCtr: number;
  newRefCtr: number;
}

export function parseBpftoolPerf(json: string): UprobeHolder[] {
  let rows: unknown;
  try {
    rows = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(rows)) return [];
  return rows.flatMap((r: Record<string, unknown>) =>
    (r.fd_type === 'uprobe' || r.fd_type === 'uretprobe') && typeof r.filename === 'string' && Number.isInteger(r.offset) && Number.isInteger(r.pid)
      ? [{ pid: r.pid as number, kind: r.fd_type, filename: r.filename, offset: r.offset as number }]
      : []);
}

const MISMATCH = /ref_ctr_offset mismatch\. inode: 0x([0-9a-f]+) offset: 0x([0-9a-f]+) ref_ctr_offset\(old\): 0x([0-9a-f]+) ref_ctr_offset\(new\): 0x([0-9a-f]+)/;

export function parseRefCtrMismatches(kernelLog: string): RefCtrMismatch[] {
  return kernelLog.split('\n').flatMap((line) => {
    const m = MISMATCH.exec(line);
    return m ? [{ inode: parseInt(m[1]!, 16), offset: parseInt(m[2]!, 16), oldRefCtr: parseInt(m[3]!, 16), newRefCtr: parseInt(m[4]!, 16) }] : [];
  });
}

export interface HeldFunction {
  name: string;
  offset: number;
  /** "pid 15795 (memleak-bpfcc -p 15789 5)" */
  holders: string[];
  /** The holder's reference-counter offset from the kernel log, when it said. */
  oldRefCtr: number | null;
}

/** The clash as one line (message) and what to do (hint). Pure. */
export function describeClash(held: readonly HeldFunction[]): { message: string; hint: string } {
  const byHolder = new Map<string, string[]>();
  for (const f of held) for (const h of f.holders.length ? f.holders : ['an unknown process']) byHolder.set(h, [...(byHolder.get(h) ?? []), f.name]);
  const who = [...byHolder].map(([holder, names]) => `${holder} holds ${names.join(', ')}`).join('; ');
  const refs = [...new Set(held.flatMap((f) => (f.oldRefCtr === null ? [] : [`0x${f.oldRefCtr.toString(16)}`])))];
  const message = `another uprobe tool holds libc's ${held.map((f) => f.name).join(', ')} with a different reference-counter offset` +
    `${refs.length ? ` (${refs.join(', ')}; bpftrace uses 0)` : ''}, and the kernel allows one per function: ${who}`;
  const hint = 'bcc\'s python tools (memleak-bpfcc and the others) attach with an unset ref_ctr_offset and cannot share a function with bpftrace, ' +
    'in either order; stop that tool first (another bpftrace can run beside faultline leaks)';
  return { message, hint };
}

/** The command line of a pid, short: "memleak-bpfcc -p 15789 5" for "python3 /usr/sbin/memleak-bpfcc ...". */
export function commandOf(cmdline: string): string {
  const argv = cmdline.split('\0').filter(Boolean);
  if (argv.length > 1 && /(^|\/)(python[\d.]*|perl|sh|bash|node)$/.test(argv[0]!)) argv.shift();
  if (argv[0]) argv[0] = argv[0].split('/').pop()!;
  const text = argv.join(' ').replace(/[\x00-\x1f\x7f]/g, '?');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const inodeOf = (path: string): number | null => {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
};

/** The functions (by name) among `wanted` that another process holds on this libc,
 * with who holds them. IO: libc's ELF, bpftool, /proc/PID/cmdline, the kernel log. */
export async function findHeldFunctions(libcPath: string, wanted: readonly string[], procRoot = '/proc'): Promise<HeldFunction[]> {
  const libcInode = inodeOf(libcPath);
  let functions: ReturnType<typeof elfFunctions> = [];
  try {
    functions = elfFunctions(readFileSync(libcPath));
  } catch {
    return [];
  }
  const offsets = new Map<number, string>();
  for (const name of wanted) {
    const f = functions.find((fn) => fn.name === name);
    if (f && !offsets.has(f.offset)) offsets.set(f.offset, namesAt(functions, f.offset).find((n) => wanted.includes(n)) ?? name);
  }
  const bpftool = await execa('bpftool', ['perf', 'show', '--json'], { reject: false, timeout: 10_000 });
  const bpftoolSaw = bpftool.exitCode === 0;
  const holders = parseBpftoolPerf(String(bpftool.stdout ?? ''))
    .filter((h) => offsets.has(h.offset) && (libcInode === null || inodeOf(h.filename) === libcInode || h.filename.endsWith(libcPath)));
  const kernelLog = await execa('dmesg', [], { reject: false, timeout: 10_000 });
  const mismatches = parseRefCtrMismatches(String(kernelLog.stdout ?? '')).filter((m) => libcInode === null || m.inode === libcInode);
  const held = new Map<number, HeldFunction>();
  for (const h of holders) {
    const f = held.get(h.offset) ?? { name: offsets.get(h.offset)!, offset: h.offset, holders: [], oldRefCtr: null };
    const command = commandOf(readCounterTextOrNull(`${procRoot}/${h.pid}/cmdline`) ?? '');
    const label = `pid ${h.pid} (${command || '?'})`;
    if (!f.holders.includes(label)) f.holders.push(label);
    held.set(h.offset, f);
  }
  // definitions made through tracefs with a reference counter: "p:uprobes/NAME PATH:0xOFF(0xREF)"
  for (const line of (readCounterTextOrNull('/sys/kernel/tracing/uprobe_events') ?? '').split('\n')) {
    const m = /^[pr]:(\S+) (\S+):0x([0-9a-f]+)\(0x([0-9a-f]+)\)/.exec(line);
    if (!m || !offsets.has(parseInt(m[3]!, 16)) || parseInt(m[4]!, 16) === 0) continue;
    if (libcInode !== null && inodeOf(m[2]!) !== libcInode) continue;
    const offset = parseInt(m[3]!, 16);
    const f = held.get(offset) ?? { name: offsets.get(offset)!, offset, holders: [], oldRefCtr: null };
    f.holders.push(`tracefs definition ${m[1]}`);
    f.oldRefCtr = parseInt(m[4]!, 16);
    held.set(offset, f);
  }
  for (const m of mismatches) {
    const name = offsets.get(m.offset);
    if (!name) continue;
    const f = held.get(m.offset) ?? { name, offset: m.offset, holders: [], oldRefCtr: null };
    f.oldRefCtr = m.oldRefCtr;
    held.set(m.offset, f);
  }
  // bpftrace holders (ref_ctr 0) share with us; a log line about a holder that is gone is old news
  return [...held.values()]
    .filter((f) => !bpftoolSaw || f.holders.length > 0)
    .filter((f) => f.oldRefCtr !== null ? f.oldRefCtr !== 0 : f.holders.some((h) => !/\(bpftrace\b/.test(h)))
    .sort((a, b) => wanted.indexOf(a.name) - wanted.indexOf(b.name));
}
