// Dynamic probe definitions a tracer left in tracefs (uprobe_events, kprobe_events).
//
// A uprobe attached through perf_event_open's uprobe PMU goes away with its file
// descriptor. When that open fails, bcc's bpf_attach_uprobe (which bpftrace 0.17-0.23
// and bcc's tools use) falls back to writing a definition into uprobe_events, named
// EVENT_bcc_PID with PID the tracer's own pid, and does not remove it when the
// attach fails too (seen with bpftrace 0.17 beside memleak-bpfcc: the kernel refused
// the second uprobe for its reference-counter offset). A SIGKILL'ed tracer that was
// on that path leaves its definitions as well. libbpf's legacy path names them
// libbpf_PID_... the same way. A definition whose owner pid no longer exists is
// stale: nobody will remove it. Parsing is pure; listing and removing do the IO.
import { appendFileSync, existsSync } from 'node:fs';
import { readCounterTextOrNull } from '../host/read-proc-file.js';

export interface ProbeDefinition {
  /** 'uprobe_events' or 'kprobe_events': the file it is listed in and removed through. */
  file: string;
  /** "uprobes/p__usr_lib_..._bcc_1234" */
  name: string;
  /** The pid in its name (bcc: ..._bcc_PID, libbpf: libbpf_PID_...), null when none. */
  ownerPid: number | null;
  line: string;
}

const DEFINITION = /^[pr]\d*:(\S+\/\S+)\s/;
const BCC_OWNER = /_bcc_(\d+)$/;
const LIBBPF_OWNER = /^libbpf_(\d+)_/;

export function ownerPidOf(name: string): number | null {
  const event = name.slice(name.indexOf('/') + 1);
  const m = BCC_OWNER.exec(event) ?? LIBBPF_OWNER.exec(event);
  return m ? Number(m[1]) : null;
}

export function parseProbeDefinitions(text: string, file: string): ProbeDefinition[] {
  const out: ProbeDefinition[] = [];
  for (const line of text.split('\n')) {
    const m = DEFINITION.exec(line);
    if (m) out.push({ file, name: m[1]!, ownerPid: ownerPidOf(m[1]!), line });
  }
  return out;
}

/** Definitions whose owner is known and gone. Unowned ones (made by hand, perf probe) stay. */
export function staleDefinitions(defs: readonly ProbeDefinition[], isAlive: (pid: number) => boolean): ProbeDefinition[] {
  return defs.filter((d) => d.ownerPid !== null && !isAlive(d.ownerPid));
}

export function listProbeDefinitions(tracefs = '/sys/kernel/tracing'): ProbeDefinition[] {
  return ['uprobe_events', 'kprobe_events'].flatMap((file) => parseProbeDefinitions(readCounterTextOrNull(`${tracefs}/${file}`) ?? '', file));
}

export interface Cleanup {
  removed: string[];
  /** Still enabled by someone (EBUSY) or not removable: name and reason. */
  kept: string[];
}

/** Removes the definitions whose owner pid is gone. */
export function removeStaleDefinitions(tracefs = '/sys/kernel/tracing', procRoot = '/proc'): Cleanup {
  const stale = staleDefinitions(listProbeDefinitions(tracefs), (pid) => existsSync(`${procRoot}/${pid}`));
  const result: Cleanup = { removed: [], kept: [] };
  for (const d of stale) {
    try {
      appendFileSync(`${tracefs}/${d.file}`, `-:${d.name}\n`);
      result.removed.push(d.name);
    } catch (err) {
      result.kept.push(`${d.name}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  return result;
}

/** removeStaleDefinitions, said on `log` ("faultline: removed 2 uprobe/kprobe
 * definition(s) left by exited tracers (...)"): what every faultline command that
 * attaches probes runs first. */
export function cleanUpStaleDefinitions(tracefs: string, procRoot: string, log?: (line: string) => void): void {
  const { removed, kept } = removeStaleDefinitions(tracefs, procRoot);
  if (removed.length) log?.(`faultline: removed ${removed.length} uprobe/kprobe definition(s) left by exited tracers (${removed[0]}${removed.length > 1 ? ', ...' : ''})`);
  if (kept.length) log?.(`faultline: could not remove ${kept.length} stale definition(s): ${kept[0]}`);
}
