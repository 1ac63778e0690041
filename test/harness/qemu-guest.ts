// A real QEMU guest for kernel tests: qemu-system-x86_64 started the way libvirt starts
// it (-name guest=NAME,debug-threads=on, -uuid, -S then QMP cont), running a tiny Linux
// (Debian cloud kernel + busybox) whose /init (guest/init.sh) grows its memory on a
// schedule, with a control channel (alloc/free inside the guest) and a virtio balloon.
// Adapted from the measured reference recipe in /work/shared/qemu-guest/.
//
// Measured on the dev machine (2 shared cores, no /dev/kvm so TCG, 512 MiB guest,
// Debian 6.1 cloud kernel, QEMU 7.2):
//   spawn -> QMP negotiated + cont       60-160 ms; paused QEMU RSS 48-56 MiB
//   cont -> "INIT: reached /init"        2.2-2.4 s wall (guest uptime 1.6-1.8 s)
//   cont -> "CTL: ready"                 ~2.5 s
//   cont -> first hog allocation (8 MiB) 2.5-2.7 s, QEMU RSS then ~187 MiB
//   8 MiB/s up to 64 MiB                 "HOG: done" at ~11 s; RSS +53 MiB for the 56 MiB
//                                        after the first step (+37..41 MiB with KASLR on)
//   ctl('alloc 32')                      ~0.15 s; +23 MiB RSS right after boot (the first
//                                        allocation reuses ~9 MiB of boot-touched pages),
//                                        +32 MiB after the hog ran
//   ctl('freeall') + QMP balloon 128M    reached in ~0.5 s; RSS falls to ~176 MiB
//   QMP quit -> exit                     under 20 ms
//   CPU: ~3.7 s for a 12 s boot+64 MiB run. test/kernel/qemu-guest-harness.test.ts: 20-24 s.
//
// Everything a guest needs lives in its runDir (QMP socket, control socket, console
// log, qemu stderr), removed by stop(). A guest a test forgets to stop is SIGKILLed by
// pid from a process 'exit' handler; and because QEMU is exec'd through the small
// nothp helper, which sets PR_SET_PDEATHSIG=SIGKILL, it also dies if the test process
// is killed outright.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  fstatSync,
  writeFileSync,
} from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MiB = 1024 * 1024;
const HARNESS_DIR = dirname(fileURLToPath(import.meta.url)); // <repo>/test/harness
const GUEST_SRC_DIR = join(HARNESS_DIR, 'guest');
/** <repo>/test/.assets (gitignored). */
export const ASSETS_DIR = join(HARNESS_DIR, '..', '.assets');
const GUEST_ASSETS_DIR = join(ASSETS_DIR, 'guest');
const NOTHP_PATH = join(ASSETS_DIR, 'nothp');
const QEMU = 'qemu-system-x86_64';

export interface GuestAssets {
  kernelPath: string;
  initrdPath: string;
  /** The nothp exec helper, or null when it could not be compiled (see nothpError). */
  nothpPath: string | null;
  nothpError?: string;
}

export interface StartGuestOptions {
  /** libvirt domain name, used in -name guest=NAME. Default fl-guest-XXXXXX. */
  name?: string;
  /** Default: a random v4 UUID. */
  uuid?: string;
  /** Guest RAM, MiB. Default 512. */
  memoryMiB?: number;
  /** MiB the guest allocates per step. Default 8. */
  hogMiB?: number;
  /** Stop growing at this many MiB; 0 = don't grow. Default 0. */
  hogLimitMiB?: number;
  /** Seconds between steps. Default 1. */
  hogIntervalS?: number;
  /** Seconds to wait before the first step. Default 0. */
  hogDelayS?: number;
  /** Free everything this many seconds after reaching the limit; 0 = keep. Default 0. */
  hogFreeAfterS?: number;
  /** Run QEMU with PR_SET_THP_DISABLE, so guest RAM is faulted in 4 KiB pages. */
  disableThp?: boolean;
  /** Leave the guest paused (-S) after QMP negotiation; call guest.cont() to run it.
   *  For attaching a tracer before the guest touches any memory. Default false. */
  startPaused?: boolean;
  /** Keep guest KASLR. Default false: the harness boots with nokaslr, which makes the
   *  guest's physical layout fixed, so that memory the guest allocates lands on pages
   *  the host never touched (with KASLR, 15-35 MiB of pages touched while booting are
   *  reused at random, and RSS growth per MiB allocated varies from run to run). */
  kaslr?: boolean;
  /** Appended to the guest kernel command line (after the hog knobs). */
  kernelArgs?: string[];
  /** Appended to QEMU's argv. */
  extraArgs?: string[];
  /** 'tcg' (default: this machine has no /dev/kvm) or 'kvm' (`-accel kvm -cpu host`:
   *  the lab's L1 machines, test/lab/). */
  accel?: 'tcg' | 'kvm';
  /** Back guest RAM by a file in this directory (a hugetlbfs mount for huge pages)
   *  instead of anonymous memory: memory-backend-file, not shared. */
  memPath?: string;
  /** Bind guest RAM to this host NUMA node (memory-backend host-nodes, policy bind: what
   * libvirt's <numatune> mode strict gives). */
  hostNode?: number;
}

export interface Guest {
  readonly pid: number;
  readonly name: string;
  readonly uuid: string;
  /** Guest RAM size in bytes (-m): the size of its anonymous rw-p mapping in QEMU. */
  readonly memoryBytes: number;
  readonly runDir: string;
  readonly consolePath: string;
  /** The full QEMU argv (without the nothp wrapper). */
  readonly argv: readonly string[];
  /** Run one QMP command; resolves to its "return" value, rejects on a QMP error. */
  qmp(command: string, args?: object, timeoutMs?: number): Promise<unknown>;
  /** Resume a guest started with startPaused (QMP cont). */
  cont(): Promise<void>;
  /** Send one line on the guest control channel (alloc N | free N | freeall | stat |
   *  poweroff); resolves to the guest's "ACK ..." line, rejects on NAK or timeout. Waits
   *  for the channel to be ready first. Calls are serialized. */
  ctl(line: string, timeoutMs?: number): Promise<string>;
  /** Resolve with the first complete console line matching pattern, looking at the
   *  console from byte fromOffset on (see consoleOffset()). On timeout, or if QEMU
   *  exits, reject with the console tail and qemu's stderr. */
  waitForConsole(pattern: RegExp, timeoutMs: number, fromOffset?: number): Promise<string>;
  /** Current size of the console log in bytes, for waitForConsole's fromOffset. */
  consoleOffset(): number;
  /** The console log so far. */
  consoleText(): string;
  /** QEMU's VmRSS in bytes (from /proc/PID/status). */
  rssBytes(): number;
  /** Guest RAM in QEMU's address space: the anonymous rw-p mapping whose size is memoryBytes. */
  guestRamRange(): { start: bigint; end: bigint };
  readonly exited: boolean;
  /** QMP quit, up to ~3 s for QEMU to exit, then SIGKILL; always reaped; removes runDir.
   *  Idempotent. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------- assets

let assetsPromise: Promise<GuestAssets> | null = null;

/** Build (only when needed) the guest kernel + initramfs into test/.assets/guest and the
 *  nothp helper into test/.assets/nothp. Memoized per process. */
export function ensureGuestAssets(): Promise<GuestAssets> {
  assetsPromise ??= buildAssets().catch((err: unknown) => {
    assetsPromise = null; // let a later call retry
    throw err;
  });
  return assetsPromise;
}

function sha256(...files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex');
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * MiB }, (err, stdout, stderr) => {
      if (err) {
        const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-30).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} failed (${err.message.split('\n')[0]}):\n${tail}`));
      } else resolve({ stdout, stderr });
    });
  });
}

async function buildAssets(): Promise<GuestAssets> {
  const script = join(GUEST_SRC_DIR, 'build-assets.sh');
  const kernelPath = join(GUEST_ASSETS_DIR, 'vmlinuz');
  const initrdPath = join(GUEST_ASSETS_DIR, 'initramfs.cpio.gz');
  // same hash as build-assets.sh: sha256 of init.sh followed by the script itself
  const stamp = sha256(join(GUEST_SRC_DIR, 'init.sh'), script);
  const upToDate =
    existsSync(kernelPath) && existsSync(initrdPath) && readOr(join(GUEST_ASSETS_DIR, 'stamp'), '').trim() === stamp;
  if (!upToDate) await run('sh', [script, GUEST_ASSETS_DIR], 15 * 60_000);

  let nothpPath: string | null = NOTHP_PATH;
  let nothpError: string | undefined;
  try {
    await buildNothp();
  } catch (err) {
    nothpPath = null;
    nothpError = (err as Error).message;
  }
  return nothpError === undefined ? { kernelPath, initrdPath, nothpPath } : { kernelPath, initrdPath, nothpPath, nothpError };
}

async function buildNothp(): Promise<void> {
  const src = join(GUEST_SRC_DIR, 'nothp.c');
  const stampPath = `${NOTHP_PATH}.stamp`;
  const stamp = sha256(src);
  if (existsSync(NOTHP_PATH) && readOr(stampPath, '').trim() === stamp) return;
  mkdirSync(ASSETS_DIR, { recursive: true });
  const tmp = `${NOTHP_PATH}.tmp.${process.pid}`;
  try {
    await run('cc', ['-O2', '-Wall', '-o', tmp, src], 60_000);
    renameSync(tmp, NOTHP_PATH);
  } finally {
    rmSync(tmp, { force: true });
  }
  writeFileSync(stampPath, `${stamp}\n`);
}

// ---------------------------------------------------------------- leak guard

const live = new Set<QemuGuest>(); // started and not yet stopped
let exitHookInstalled = false;

function register(guest: QemuGuest): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const g of live) {
        // only a QEMU that was not reaped yet: a reaped pid may belong to someone else now
        if (!g.exited) {
          try {
            process.kill(g.pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        rmSync(g.runDir, { recursive: true, force: true });
      }
      live.clear();
    });
  }
  live.add(guest);
}

// ---------------------------------------------------------------- QMP client

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

class QmpClient {
  private buf = '';
  private nextId = 1;
  private pending = new Map<string, Pending>();
  private greeting: ((err?: Error) => void) | null = null;
  private closedError: Error | null = null;

  private constructor(private readonly sock: Socket) {
    sock.unref(); // an idle QMP connection must not keep the test process alive
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('error', (e) => this.fail(new Error(`QMP socket error: ${e.message}`)));
    sock.on('close', () => this.fail(new Error('QMP connection closed')));
  }

  /** Connect, wait for the greeting, negotiate capabilities. */
  static async connect(path: string, timeoutMs: number): Promise<QmpClient> {
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`QMP connect to ${path} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(t);
        s.destroy();
        reject(e);
      });
    });
    const client = new QmpClient(sock);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        client.close();
        reject(new Error('no QMP greeting'));
      }, timeoutMs);
      client.greeting = (err) => {
        clearTimeout(t);
        if (err) reject(err);
        else resolve();
      };
      if (client.closedError) client.greeting(client.closedError);
    });
    await client.execute('qmp_capabilities', undefined, timeoutMs);
    return client;
  }

  execute(command: string, args: object | undefined, timeoutMs: number): Promise<unknown> {
    if (this.closedError) return Promise.reject(new Error(`QMP ${command}: ${this.closedError.message}`));
    const id = `fl-${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`QMP ${command}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve, reject, timer });
      const msg: Record<string, unknown> = { execute: command, id };
      if (args !== undefined) msg.arguments = args;
      this.sock.write(`${JSON.stringify(msg)}\n`);
    });
  }

  close(): void {
    this.sock.destroy();
    this.fail(new Error('QMP client closed'));
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not JSON: ignore
    }
    if ('QMP' in msg) {
      const g = this.greeting;
      this.greeting = null;
      g?.();
      return;
    }
    if ('event' in msg) return; // async events: not needed by the harness
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || id === undefined) return; // answer to a command that already timed out
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ('error' in msg) {
      const e = msg.error as { class?: string; desc?: string };
      p.reject(new Error(`QMP ${p.command}: ${e.class ?? 'Error'}: ${e.desc ?? JSON.stringify(e)}`));
    } else p.resolve(msg.return);
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    const g = this.greeting;
    this.greeting = null;
    g?.(err);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`QMP ${p.command}: ${err.message}`));
    }
    this.pending.clear();
  }
}

// ---------------------------------------------------------------- guest

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function tailOf(path: string, maxLines: number): string {
  const text = readOr(path, '');
  return text.replace(/\r/g, '').trimEnd().split('\n').slice(-maxLines).join('\n');
}

class QemuGuest implements Guest {
  readonly memoryBytes: number;
  readonly consolePath: string;
  readonly ctlPath: string;
  readonly qmpPath: string;
  readonly stderrPath: string;
  private client: QmpClient | null = null;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exitPromise: Promise<void>;
  private stopPromise: Promise<void> | null = null;
  private ctlChain: Promise<unknown> = Promise.resolve();
  private ctlReady = false;

  constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly name: string,
    readonly uuid: string,
    memoryMiB: number,
    readonly runDir: string,
    readonly argv: readonly string[],
  ) {
    this.memoryBytes = memoryMiB * MiB;
    this.consolePath = join(runDir, 'console.log');
    this.ctlPath = join(runDir, 'ctl.sock');
    this.qmpPath = join(runDir, 'qmp.sock');
    this.stderrPath = join(runDir, 'qemu.stderr');
    this.exitPromise = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        this.exitInfo ??= { code, signal };
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
      else child.once('exit', done);
    });
  }

  get exited(): boolean {
    return this.exitInfo !== null;
  }

  /** Diagnostics appended to errors: how QEMU ended, console tail, qemu stderr. */
  diagnostics(): string {
    const ended = this.exitInfo
      ? `qemu exited (code=${this.exitInfo.code} signal=${this.exitInfo.signal})`
      : `qemu pid ${this.pid} running`;
    return (
      `${ended}\n--- console tail (${this.consolePath}):\n${tailOf(this.consolePath, 25)}` +
      `\n--- qemu stderr:\n${tailOf(this.stderrPath, 25)}`
    );
  }

  async connectQmp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastErr: unknown = null;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`QEMU exited before its QMP socket came up\n${this.diagnostics()}`);
      if (existsSync(this.qmpPath)) {
        try {
          this.client = await QmpClient.connect(this.qmpPath, Math.max(1000, deadline - Date.now()));
          return;
        } catch (err) {
          lastErr = err;
        }
      }
      await sleep(50);
    }
    throw new Error(`QMP socket ${this.qmpPath} not ready in ${timeoutMs} ms (${String(lastErr)})\n${this.diagnostics()}`);
  }

  async qmp(command: string, args?: object, timeoutMs = 10_000): Promise<unknown> {
    if (!this.client) throw new Error(`QMP ${command}: not connected`);
    return this.client.execute(command, args, timeoutMs);
  }

  async cont(): Promise<void> {
    await this.qmp('cont');
  }

  consoleOffset(): number {
    try {
      const fd = openSync(this.consolePath, 'r');
      try {
        return fstatSync(fd).size;
      } finally {
        closeSync(fd);
      }
    } catch {
      return 0;
    }
  }

  consoleText(): string {
    return readOr(this.consolePath, '');
  }

  async waitForConsole(pattern: RegExp, timeoutMs: number, fromOffset = 0): Promise<string> {
    const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    const deadline = Date.now() + timeoutMs;
    let offset = fromOffset; // bytes already scanned (whole lines only)
    for (;;) {
      const chunk = this.readConsoleFrom(offset);
      const lastNl = chunk.lastIndexOf(0x0a);
      if (lastNl >= 0) {
        const lines = chunk.subarray(0, lastNl).toString('utf8').split('\n');
        for (const raw of lines) {
          const line = raw.replace(/\r/g, '');
          if (re.test(line)) return line;
        }
        offset += lastNl + 1;
      }
      if (this.exited) {
        // QEMU is gone: nothing more will be written (a last partial line may still match)
        const rest = this.readConsoleFrom(offset).toString('utf8').replace(/\r/g, '');
        if (re.test(rest)) return rest.trim();
        throw new Error(`waitForConsole(${pattern}): QEMU exited\n${this.diagnostics()}`);
      }
      if (Date.now() >= deadline) {
        throw new Error(`waitForConsole(${pattern}) timed out after ${timeoutMs} ms\n${this.diagnostics()}`);
      }
      await Promise.race([sleep(50), this.exitPromise]);
    }
  }

  private readConsoleFrom(offset: number): Buffer {
    let fd: number;
    try {
      fd = openSync(this.consolePath, 'r');
    } catch {
      return Buffer.alloc(0);
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= offset) return Buffer.alloc(0);
      const buf = Buffer.alloc(size - offset);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }

  ctl(line: string, timeoutMs = 30_000): Promise<string> {
    const result = this.ctlChain.then(() => this.ctlOnce(line, timeoutMs));
    this.ctlChain = result.catch(() => undefined);
    return result;
  }

  private async ctlOnce(line: string, timeoutMs: number): Promise<string> {
    if (line.includes('\n')) throw new Error('ctl: one line at a time');
    const deadline = Date.now() + timeoutMs;
    if (!this.ctlReady) {
      await this.waitForConsole(/^CTL: ready/, timeoutMs);
      this.ctlReady = true;
    }
    const sock = connect(this.ctlPath);
    sock.setEncoding('utf8');
    try {
      return await new Promise<string>((resolve, reject) => {
        let buf = '';
        const timer = setTimeout(
          () => reject(new Error(`ctl('${line}'): no ACK within ${timeoutMs} ms\n${this.diagnostics()}`)),
          Math.max(0, deadline - Date.now()),
        );
        const finish = (err: Error | null, value?: string) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve(value ?? '');
        };
        sock.on('connect', () => sock.write(`${line}\n`));
        sock.on('data', (d: string) => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const l = buf.slice(0, nl).replace(/\r/g, '').trim();
            buf = buf.slice(nl + 1);
            if (l.startsWith('ACK')) return finish(null, l);
            if (l.startsWith('NAK')) return finish(new Error(`ctl('${line}'): guest answered ${l}`));
          }
        });
        sock.on('error', (e) => finish(new Error(`ctl('${line}'): ${e.message}\n${this.diagnostics()}`)));
        sock.on('close', () => finish(new Error(`ctl('${line}'): control channel closed\n${this.diagnostics()}`)));
      });
    } finally {
      sock.destroy();
    }
  }

  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    if (!m?.[1]) throw new Error(`no VmRSS in /proc/${this.pid}/status (exited?)`);
    return Number(m[1]) * 1024;
  }

  guestRamRange(): { start: bigint; end: bigint } {
    const want = BigInt(this.memoryBytes);
    const sized: { start: bigint; end: bigint; anonymous: boolean }[] = [];
    for (const l of readFileSync(`/proc/${this.pid}/maps`, 'utf8').split('\n')) {
      const f = l.trim().split(/\s+/);
      // address perms offset dev inode [path]: anonymous has no path; with memPath the
      // RAM is a (deleted) file in the hugetlbfs mount
      if (f.length < 5 || f[1] !== 'rw-p' || !f[0]) continue;
      const [lo, hi] = f[0].split('-').map((x) => BigInt(`0x${x}`));
      if (lo !== undefined && hi !== undefined && hi - lo === want) sized.push({ start: lo, end: hi, anonymous: f.length === 5 });
    }
    const found = sized.find((m) => m.anonymous) ?? sized[0];
    if (found) return { start: found.start, end: found.end };
    throw new Error(`no rw-p mapping of ${this.memoryBytes} bytes in /proc/${this.pid}/maps`);
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    try {
      if (!this.exited && this.client) {
        await this.client.execute('quit', undefined, 1000).catch(() => undefined);
        await Promise.race([this.exitPromise, sleep(3000)]);
      }
      if (!this.exited) {
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        await Promise.race([this.exitPromise, sleep(10_000)]);
        if (!this.exited) throw new Error(`QEMU pid ${this.pid} did not exit after SIGKILL`);
      }
    } finally {
      this.client?.close();
      if (this.exited) {
        live.delete(this);
        rmSync(this.runDir, { recursive: true, force: true });
      }
    }
  }
}

const RUNDIR_PREFIX = 'faultline-qemu-';

/** Remove runDirs left by test processes that were killed before they could clean up
 *  (their QEMU died with them through PR_SET_PDEATHSIG). */
function sweepStaleRunDirs(): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((e) => e.startsWith(RUNDIR_PREFIX));
  } catch {
    return;
  }
  for (const e of entries) {
    const dir = join(tmpdir(), e);
    const owner = Number.parseInt(readOr(join(dir, 'owner.pid'), ''), 10);
    if (!Number.isInteger(owner) || owner <= 0 || owner === process.pid) continue;
    try {
      process.kill(owner, 0);
      continue; // owner still alive
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function intArg(v: number, what: string): string {
  if (!Number.isInteger(v) || v < 0) throw new Error(`startGuest: ${what} must be a non-negative integer, got ${v}`);
  return String(v);
}

/** Start a QEMU (TCG) guest, libvirt-style. Resolves once QMP is negotiated and (unless
 *  startPaused) the guest was told to run. */
export async function startGuest(opts: StartGuestOptions = {}): Promise<Guest> {
  const assets = await ensureGuestAssets();
  const name = opts.name ?? `fl-guest-${randomBytes(3).toString('hex')}`;
  if (!/^[A-Za-z0-9_.:+-]+$/.test(name)) throw new Error(`startGuest: invalid guest name ${JSON.stringify(name)}`);
  const uuid = opts.uuid ?? randomUUID();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) {
    throw new Error(`startGuest: invalid uuid ${JSON.stringify(uuid)}`);
  }
  const mem = opts.memoryMiB ?? 512;
  if (!Number.isInteger(mem) || mem < 64) throw new Error(`startGuest: memoryMiB must be an integer >= 64, got ${mem}`);
  if (opts.disableThp && !assets.nothpPath) {
    throw new Error(`startGuest: disableThp needs the nothp helper, which failed to build: ${assets.nothpError}`);
  }

  sweepStaleRunDirs();
  const runDir = mkdtempSync(join(tmpdir(), RUNDIR_PREFIX));
  writeFileSync(join(runDir, 'owner.pid'), `${process.pid}\n`);
  const p = (f: string) => join(runDir, f);
  const append = [
    'console=ttyS0',
    'panic=-1',
    'quiet',
    ...(opts.kaslr ? [] : ['nokaslr']),
    `hog_mb=${intArg(opts.hogMiB ?? 8, 'hogMiB')}`,
    `hog_limit=${intArg(opts.hogLimitMiB ?? 0, 'hogLimitMiB')}`,
    `hog_interval=${intArg(opts.hogIntervalS ?? 1, 'hogIntervalS')}`,
    `hog_delay=${intArg(opts.hogDelayS ?? 0, 'hogDelayS')}`,
    `hog_free_after=${intArg(opts.hogFreeAfterS ?? 0, 'hogFreeAfterS')}`,
    ...(opts.kernelArgs ?? []),
  ].join(' ');
  const argv = [
    QEMU,
    '-name', `guest=${name},debug-threads=on`,
    '-S',
    '-machine', 'pc,usb=off,dump-guest-core=off,memory-backend=pc.ram',
    ...(opts.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,tb-size=32']), // default TCG code cache is a 1 GiB rwxp mapping
    '-object', opts.memPath ? `memory-backend-file,id=pc.ram,size=${mem}M,mem-path=${opts.memPath},share=off` : `memory-backend-ram,id=pc.ram,size=${mem}M${opts.hostNode !== undefined ? `,host-nodes=${intArg(opts.hostNode, 'hostNode')},policy=bind` : ''}`,
    '-m', String(mem),
    '-smp', '1',
    '-uuid', uuid,
    '-no-user-config', '-nodefaults', '-display', 'none', '-no-reboot',
    '-chardev', `socket,id=charmonitor,path=${p('qmp.sock')},server=on,wait=off`,
    '-mon', 'chardev=charmonitor,id=monitor,mode=control',
    '-chardev', `file,id=con0,path=${p('console.log')}`,
    '-serial', 'chardev:con0',
    '-chardev', `socket,id=ctl0,path=${p('ctl.sock')},server=on,wait=off`,
    '-serial', 'chardev:ctl0',
    '-device', 'virtio-balloon-pci,id=balloon0,deflate-on-oom=on',
    '-kernel', assets.kernelPath,
    '-initrd', assets.initrdPath,
    '-append', append,
    ...(opts.extraArgs ?? []),
  ];
  // exec through nothp when it exists: THP off on request, and PR_SET_PDEATHSIG always
  const [cmd, args] = assets.nothpPath
    ? [assets.nothpPath, [...(opts.disableThp ? [] : ['--keep-thp']), ...argv]]
    : [QEMU, argv.slice(1)];
  const errFd = openSync(p('qemu.stderr'), 'w');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { stdio: ['ignore', errFd, errFd] });
  } finally {
    closeSync(errFd);
  }
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const pid = child.pid;
  if (pid === undefined) {
    const err = await spawnError;
    rmSync(runDir, { recursive: true, force: true });
    throw new Error(`startGuest: cannot run ${cmd}: ${err.message}`);
  }
  child.unref(); // a forgotten guest must not keep the test process alive (the exit hook kills it)
  const guest = new QemuGuest(child, pid, name, uuid, mem, runDir, argv);
  register(guest);
  try {
    // 60-160 ms on a host; an L2 QEMU in the lab's emulated L1 missed 15 s twice on
    // 2026-12-07 (its first scenario, while faultline's first intervals ran there)
    await guest.connectQmp(60_000);
    if (!opts.startPaused) await guest.cont();
  } catch (err) {
    await guest.stop().catch(() => undefined);
    throw err;
  }
  return guest;
}

/** The balloon's `actual` bytes (QMP query-balloon: what the guest gave) once it is at
 * or below targetBytes, or as it stands after timeoutMs. */
export async function waitForBalloon(guest: Guest, targetBytes: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { actual } = (await guest.qmp('query-balloon')) as { actual: number };
    if (actual <= targetBytes || Date.now() > deadline) return actual;
    await new Promise((r) => setTimeout(r, 100));
  }
}
