// One bpftrace program for several probe groups: the groups' programs, each assembled
// for this kernel (probe-program.ts), joined so that one bpftrace process runs them
// all. Pure. Why: each bpftrace costs ~90 MiB PSS (LLVM's pages and its own heap) and
// a pipe Node reads; four of them were most of faultline's memory
// (docs/benchmarks.md, "One bpftrace for all groups").
//
// How they join:
// - BEGIN and END: bpftrace 0.17 refuses a second one ("More than one BEGIN probe
//   defined"), so their bodies are put one after the other in one BEGIN and one END,
//   in group order;
// - every other block stays as it is, group after group: each group keeps its own
//   10 ms timer, reading its own clock map (@GROUP_interval), and its own tick line
//   (`faultline_tick GROUP ...`). Two blocks on one tracepoint (faults and growth on
//   sched_process_exit) are two BPF programs, as before;
// - $1 (interval ms) and $2 (long-stall ns) mean the same in every group.
// What must not clash, checked here (a clash throws, and the groups run one bpftrace
// each, as before): a map used by two groups; an event (a printf's first word) printed
// by two groups; a ready or tick line that does not name its own group (the output
// could not be told apart); a scratch variable ($x) in the BEGIN or END of two groups
// (merged into one block, it would be one variable); a BEGIN or END with a predicate,
// or sharing its block with other points (it cannot be merged).
// The output goes back to each group by the routes (src/parse/output-routes.ts), and
// each BPF program to its group by its attach target and load order
// (src/probe/probe-cost.ts, ProcessPrograms).
import type { OutputRoutes } from '../parse/output-routes.js';
import type { ProcessPrograms } from './probe-cost.js';
import { parseProbeProgram, renderBlock, tracepointOf, type AssembledProgram, type ProbeBlock } from './probe-program.js';

export interface CombinedProgram {
  /** In program order. */
  groups: string[];
  /** For `bpftrace -e`. */
  text: string;
  routes: OutputRoutes;
  programs: ProcessPrograms;
}

export class ProgramClashError extends Error {
  constructor(readonly clashes: string[]) {
    super(`the programs of probe groups cannot run as one: ${clashes.join('; ')}`);
    this.name = 'ProgramClashError';
  }
}

interface GroupParts {
  group: string;
  begin: ProbeBlock[];
  end: ProbeBlock[];
  others: ProbeBlock[];
  maps: Set<string>;
  /** printf format strings, as written (escapes included) */
  formats: string[];
}

const STRING = /"(?:[^"\\]|\\.)*"/g;
const PRINTF_FORMAT = /printf\(\s*"((?:[^"\\]|\\.)*)"/g;
const CONTROL_WORDS = new Set(['faultline_ready', 'faultline_tick']);

function splitGroup(program: AssembledProgram): GroupParts {
  const parsed = parseProbeProgram(program.group, program.text);
  const is = (block: ProbeBlock, point: string): boolean => block.points.includes(point);
  return {
    group: program.group,
    begin: parsed.blocks.filter((b) => is(b, 'BEGIN')),
    end: parsed.blocks.filter((b) => is(b, 'END')),
    others: parsed.blocks.filter((b) => !is(b, 'BEGIN') && !is(b, 'END')),
    // map names outside string literals
    maps: new Set([...program.text.replace(STRING, '""').matchAll(/@([A-Za-z_]\w*)/g)].map((m) => `@${m[1]}`)),
    formats: [...program.text.matchAll(PRINTF_FORMAT)].map((m) => m[1]!),
  };
}

/** `reclaim_stall pid=%d ...\n` -> ['reclaim_stall', 'pid=%d']: the words a line starts with. */
function leadingWords(format: string): [string, string] {
  const [first = '', second = ''] = format.replace(/\\n.*$/, '').split(' ');
  return [first, second];
}

function scratchVariables(blocks: ProbeBlock[]): Set<string> {
  return new Set(blocks.flatMap((b) => [...b.body.replace(STRING, '""').matchAll(/\$([A-Za-z_]\w*)/g)].map((m) => `$${m[1]}`)));
}

/** Every reason these groups' programs cannot run as one program; empty when they can. */
export function programClashes(programs: readonly AssembledProgram[]): string[] {
  const parts = programs.map(splitGroup);
  const clashes: string[] = [];
  const owners = (pick: (p: GroupParts) => Iterable<string>): Map<string, string[]> => {
    const byName = new Map<string, string[]>();
    for (const p of parts) for (const name of new Set(pick(p))) byName.set(name, [...(byName.get(name) ?? []), p.group]);
    return byName;
  };
  for (const [map, groups] of owners((p) => p.maps)) {
    if (groups.length > 1) clashes.push(`map ${map} is used by ${groups.join(' and ')}`);
  }
  const events = owners((p) => p.formats.map((f) => leadingWords(f)[0]).filter((w) => !CONTROL_WORDS.has(w)));
  for (const [event, groups] of events) if (groups.length > 1) clashes.push(`event ${event} is printed by ${groups.join(' and ')}`);
  for (const p of parts) {
    for (const format of p.formats) {
      const [word, named] = leadingWords(format);
      if (CONTROL_WORDS.has(word) && named !== p.group) clashes.push(`${p.group} prints "${word}" for "${named}", not for itself`);
      if (!CONTROL_WORDS.has(word) && !/^[a-z][a-z0-9_]*$/.test(word)) clashes.push(`${p.group} prints a line that starts with no event name ("${format.slice(0, 30)}")`);
    }
    for (const b of [...p.begin, ...p.end]) {
      if (b.points.length > 1 || b.predicate) clashes.push(`${p.group}: ${b.points.join(', ')}${b.predicate ? ` /${b.predicate}/` : ''} cannot be merged with other groups' BEGIN and END`);
    }
  }
  for (const [variable, groups] of owners((p) => scratchVariables([...p.begin, ...p.end]))) {
    if (groups.length > 1) clashes.push(`scratch variable ${variable} is in the BEGIN or END of ${groups.join(' and ')}`);
  }
  return clashes;
}

function mergedBlock(point: 'BEGIN' | 'END', blocks: ProbeBlock[]): ProbeBlock[] {
  if (blocks.length === 0) return [];
  return [{ points: [point], predicate: '', body: blocks.map((b) => b.body).join('\n'), needs: '', fallback: '' }];
}

/** The attach target bpftool names a program by: a tracepoint's event name
 * (`page_fault_user`), '' for a timer (interval, profile). */
function attachTarget(point: string): string {
  const tracepoint = tracepointOf(point);
  return tracepoint ? tracepoint.slice(tracepoint.indexOf(':') + 1) : '';
}

/** The programs as one; throws ProgramClashError (see the top of this file). One
 * program is returned as it is. */
export function combinePrograms(programs: readonly AssembledProgram[]): CombinedProgram {
  if (programs.length === 0) throw new ProgramClashError(['no program to run']);
  // one program runs as it is (a test's probes dir may print what it likes)
  const clashes = programs.length === 1 ? [] : programClashes(programs);
  if (clashes.length > 0) throw new ProgramClashError(clashes);
  const parts = programs.map(splitGroup);
  const groups = parts.map((p) => p.group);
  const groupOfMap = new Map<string, string>();
  const groupOfEvent = new Map<string, string>();
  const groupsByTarget = new Map<string, string[]>();
  for (const p of parts) {
    for (const map of p.maps) groupOfMap.set(map, p.group);
    for (const format of p.formats) {
      const [word] = leadingWords(format);
      if (!CONTROL_WORDS.has(word)) groupOfEvent.set(word, p.group);
    }
    // bpftrace loads a program's blocks in the order of its text (probe-cost.ts)
    for (const block of p.others) {
      for (const point of block.points) {
        const target = attachTarget(point);
        groupsByTarget.set(target, [...(groupsByTarget.get(target) ?? []), p.group]);
      }
    }
  }
  const blocks = [
    ...mergedBlock('BEGIN', parts.flatMap((p) => p.begin)),
    ...parts.flatMap((p) => p.others),
    ...mergedBlock('END', parts.flatMap((p) => p.end)),
  ];
  return {
    groups,
    text: programs.length === 1 ? programs[0]!.text : `${blocks.map(renderBlock).join('\n\n')}\n`,
    routes: { groups, groupOfMap, groupOfEvent },
    programs: { groups, groupsByTarget },
  };
}
