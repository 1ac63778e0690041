// Spawns and supervises one bpftrace program, of one probe group or of several
// (src/probe/combine-programs.ts): reads its JSON lines as they come, batches them per
// group and interval (src/parse/group-batcher.ts), keeps the last stderr lines as
// evidence, counts bad lines and lost events (for the process: bpftrace does not say
// whose), and stops it with one SIGINT, a bounded wait, then SIGKILL.
//
// bpftrace must not outlive us: it runs under `setpriv --pdeathsig SIGTERM`
// (the kernel signals it when our thread dies, even on SIGKILL), and the probe
// prints every interval, so a dead reader also ends it with SIGPIPE.
import { createInterface } from 'node:readline';
import { existsSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { parseBpftraceLine } from '../parse/bpftrace-json.js';
import type { ProbeBatch } from '../parse/probe-batch.js';
import { GroupBatcher } from '../parse/group-batcher.js';
import { singleGroupRoutes, type OutputRoutes } from '../parse/output-routes.js';
import { FaultlineError } from '../model/errors.js';
import { StderrFilter } from './bpftrace-stderr.js';

/** glibc's malloc in bpftrace gives freed memory back: compiling the program (LLVM)
 * leaves ~51 MiB of anonymous memory in a bpftrace that then only prints maps; with the
 * trim threshold set (which also keeps glibc from raising its mmap threshold as large
 * blocks are freed) it keeps ~38.5 MiB, for ~0.3-0.5 s more to attach here
 * (docs/benchmarks.md, "bpftrace's memory"). A value the user set is kept. */
export function mallocEnv(parent: NodeJS.ProcessEnv): Record<string, string> {
  return parent.MALLOC_TRIM_THRESHOLD_ === undefined ? { MALLOC_TRIM_THRESHOLD_: '0' } : {};
}

export interface RunnerOptions {
  /** The probe groups whose program this is, in program order. */
  groups: readonly string[];
  /** Which group each output line is for; needed with several groups (one group takes
   * everything). */
  routes?: OutputRoutes;
  /** The program as a file, or as text (`bpftrace -e`: the probe groups' programs are
   * assembled for the running kernel, src/probe/probe-program.ts). One of the two. */
  programPath?: string;
  programText?: string;
  args: string[];
  bpftracePath?: string;
  env?: Record<string, string>;
  /** How long to wait for the program to attach (compile + attach), ms. */
  attachTimeoutMs?: number;
  onBatch: (batch: ProbeBatch) => void;
  /** Each event line as soon as it is printed (it comes in its batch as well). */
  onEventLine?: (line: string) => void;
  /** Called once if bpftrace exits while we did not ask it to. */
  onUnexpectedExit?: (error: FaultlineError) => void;
}

const STDERR_LINES_KEPT = 20;

function withParentDeathSignal(command: string, args: string[]): [string, string[]] {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  return setpriv ? [setpriv, ['--pdeathsig', 'SIGTERM', command, ...args]] : [command, args];
}

export class BpftraceRunner {
  readonly groups: readonly string[];
  /** `probe group "faults"`, or `probe groups faults, kvm, reclaim, growth` */
  readonly label: string;
  lostEvents = 0;
  badLines = 0;
  private readonly stderrTail: string[] = [];
  private child: ResultPromise | null = null;
  private stopping = false;
  private exited = false;
  private exitPromise: Promise<void> = Promise.resolve();

  constructor(private readonly options: RunnerOptions) {
    this.groups = options.groups;
    if (this.groups.length === 0) throw new Error('a bpftrace runner needs a probe group');
    if (this.groups.length > 1 && !options.routes) throw new Error('a bpftrace for several probe groups needs their output routes');
    this.label = this.groups.length === 1 ? `probe group "${this.groups[0]}"` : `probe groups ${this.groups.join(', ')}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines bpftrace wrote to stderr, without the known harmless warnings
   * (src/probe/bpftrace-stderr.ts). */
  evidence(): string[] {
    return [...this.stderrTail];
  }

  /** Starts bpftrace; resolves once every probe is attached (BEGIN ran). */
  async start(): Promise<void> {
    const { programPath, programText, args, bpftracePath = 'bpftrace', env = {} } = this.options;
    const program = programText !== undefined ? ['-e', programText] : [programPath ?? ''];
    const [command, argv] = withParentDeathSignal(bpftracePath, ['-f', 'json', ...program, ...args]);
    const child = execa(command, argv, {
      buffer: false,
      stdin: 'ignore',
      reject: false,
      cleanup: true,
      forceKillAfterDelay: false,
      env: { ...mallocEnv(process.env), ...env, BPFTRACE_NO_USER_SYMBOLS: '1' },
    });
    this.child = child;
    const notReady = new Set(this.groups);
    let markReady: () => void = () => {};
    let failStart: (e: FaultlineError) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    let isReady = false;
    const batcher = new GroupBatcher(this.options.routes ?? singleGroupRoutes(this.groups[0]!), {
      onReady: (group) => {
        notReady.delete(group);
        // every group's BEGIN said so (one BEGIN when they share a program)
        if (notReady.size === 0 && !isReady) {
          isReady = true;
          markReady();
        }
      },
      onBatch: (batch) => this.options.onBatch(batch),
      onEventLine: this.options.onEventLine,
    });

    const stderrFilter = new StderrFilter();
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (!stderrFilter.keep(line)) return;
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_LINES_KEPT) this.stderrTail.shift();
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const result = parseBpftraceLine(line);
      if (!result.ok) {
        this.badLines += 1;
        return;
      }
      for (const record of result.records) {
        if (record.type === 'lost') this.lostEvents += record.events;
        batcher.push(record);
      }
    });

    this.exitPromise = child.then((result) => {
      this.exited = true;
      batcher.flush();
      const how = result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`;
      const error = new FaultlineError(
        isReady ? 'E_PROBE_EXIT' : 'E_PROBE_ATTACH',
        isReady
          ? `bpftrace for ${this.label} exited (${how})`
          : `${this.label} did not attach: bpftrace ended with ${how}`,
        isReady ? 'faultline keeps running without it; run `faultline doctor` to see why' : 'run `faultline doctor` for a per-group diagnosis',
        this.evidence(),
      );
      if (!isReady) failStart(error);
      else if (!this.stopping) this.options.onUnexpectedExit?.(error);
    });

    const timeoutMs = this.options.attachTimeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      failStart(
        new FaultlineError(
          'E_PROBE_ATTACH',
          `${this.label} did not attach within ${Math.round(timeoutMs / 1000)} s`,
          'the host may be overloaded; run `faultline doctor`',
          this.evidence(),
        ),
      );
    }, timeoutMs);
    try {
      await ready;
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** One SIGINT (bpftrace prints its maps and exits), a bounded wait, then SIGKILL.
   * bpftrace 0.17 misses a SIGINT now and then, so one more is sent halfway. */
  async stop(graceMs = 4000): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return this.exitPromise;
    this.stopping = true;
    child.kill('SIGINT');
    const waited = await Promise.race([
      this.exitPromise.then(() => true),
      delay(graceMs / 2).then(() => false),
    ]);
    if (!waited && !this.exited) {
      child.kill('SIGINT');
      const again = await Promise.race([this.exitPromise.then(() => true), delay(graceMs / 2).then(() => false)]);
      if (!again && !this.exited) child.kill('SIGKILL');
    }
    await this.exitPromise;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
