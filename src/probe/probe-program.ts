// A probe file (probes/GROUP.bt) as a list of blocks, and the program assembled from
// the blocks whose attach points this kernel has. Pure: the kernel's tracepoints come
// in as a catalog (src/probe/tracepoint-catalog.ts reads it from tracefs).
//
// Why: bpftrace 0.17 rejects a whole file when one tracepoint is missing ("tracepoint
// not found"), and cannot mark a probe optional (`missing_probes` came in 0.21, in a
// config block 0.17 cannot parse). So faultline drops what the kernel lacks itself:
// - a block whose tracepoint is not on this kernel, that reads an `args->FIELD` the
//   tracepoint's format lacks, or that reads `curtask->...` on a kernel without BTF,
//   is left out;
// - a block may list alternative points (`tracepoint:a:x, tracepoint:a:y`, e.g. a
//   tracepoint that was renamed): it attaches to the ones present;
// - blocks with the same attach list are alternatives (a shape for older kernels
//   after the full one): the first that fits is kept;
// - then maps that no kept block writes lose their `print`, `clear` and `delete`
//   statements, and a data block still reading such a map is left out too (it needed
//   the block that was dropped), until nothing changes. A write in BEGIN does not keep
//   a data block (BEGIN only gives a map its type, e.g. growth.bt's @brk_last).
// A comment right above a block may say what it needs and what stands in for it:
//   /* needs: Linux >= 6.11 ("filemap: add trace events ...")
//      without it: file faults are major faults from /proc/PID/stat */
// Those words reach `faultline doctor`, the snapshot and the UI.

export interface ProbeBlock {
  /** Attach points as written: `tracepoint:kvm:kvm_exit`, `BEGIN`, `interval:ms:10`. */
  points: string[];
  /** Predicate without its slashes, or '' */
  predicate: string;
  /** Statements between the braces, comments removed. */
  body: string;
  /** "needs:" of the comment above the block, or '' */
  needs: string;
  /** "without it:" of the comment above the block, or '' */
  fallback: string;
}

export interface ProbeProgram {
  group: string;
  blocks: ProbeBlock[];
}

/** What the kernel has: tracepoint `GROUP:NAME` -> its field names; absent = not there.
 * KERNEL_BTF is in it when the kernel has BTF (blocks reading curtask need it). */
export type TracepointCatalog = ReadonlyMap<string, ReadonlySet<string>>;
export const KERNEL_BTF = 'kernel:btf';

import type { PointState, PointStatus } from '../model/snapshot.js';
export type { PointState, PointStatus };

export interface AssembledProgram {
  group: string;
  /** The program text for `bpftrace -e`; '' when no data block is left. */
  text: string;
  /** Every tracepoint the file names, and what became of it. */
  points: PointStatus[];
  /** Data blocks kept (tracepoint blocks). 0 means the group has nothing to trace here. */
  dataBlocks: number;
}

const SPECIAL = /^(BEGIN|END|interval:|profile:)/;

/** Removes C and C++ comments, keeping the text of strings. Returns the text and, for
 * each comment, where it ended (for "the comment right above a block"). */
function stripComments(source: string): { code: string; comments: { end: number; text: string }[] } {
  let code = '';
  const comments: { end: number; text: string }[] = [];
  for (let i = 0; i < source.length; ) {
    const c = source[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== '"') j += source[j] === '\\' ? 2 : 1;
      code += source.slice(i, j + 1);
      i = j + 1;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? source.length : end + 2;
      comments.push({ end: code.length, text: source.slice(i + 2, end < 0 ? source.length : end) });
      code += ' ';
      i = stop;
    } else if (source.startsWith('//', i)) {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? source.length : end;
      comments.push({ end: code.length, text: source.slice(i + 2, stop) });
      i = stop;
    } else {
      code += c;
      i += 1;
    }
  }
  return { code, comments };
}

function noteField(comment: string, label: string): string {
  const lines = comment.split('\n').map((l) => l.replace(/^\s*\*?\s?/, '').trim());
  const start = lines.findIndex((l) => l.toLowerCase().startsWith(`${label}:`));
  if (start < 0) return '';
  const parts = [lines[start]!.slice(label.length + 1).trim()];
  for (const l of lines.slice(start + 1)) {
    if (l === '' || /^[a-z ]+:/i.test(l)) break;
    parts.push(l);
  }
  return parts.join(' ');
}

/** Splits a probe file into blocks. Throws on text that is not a sequence of
 * `points [/predicate/] { body }` (our own files; a test parses each one). */
export function parseProbeProgram(group: string, source: string): ProbeProgram {
  const { code, comments } = stripComments(source);
  const blocks: ProbeBlock[] = [];
  const blockEnds: number[] = [];
  let i = 0;
  while (i < code.length) {
    while (i < code.length && /\s/.test(code[i]!)) i += 1;
    if (i >= code.length) break;
    const headerStart = i;
    const open = code.indexOf('{', i);
    if (open < 0) throw new Error(`${group}.bt: text after the last block: ${code.slice(i, i + 40).trim()}`);
    const header = code.slice(i, open).trim();
    let depth = 0;
    let close = open;
    for (; close < code.length; close++) {
      if (code[close] === '"') {
        close += 1;
        while (close < code.length && code[close] !== '"') close += code[close] === '\\' ? 2 : 1;
      } else if (code[close] === '{') depth += 1;
      else if (code[close] === '}' && --depth === 0) break;
    }
    if (depth !== 0) throw new Error(`${group}.bt: unbalanced braces after ${header}`);
    const slash = header.indexOf('/');
    const pointText = slash < 0 || header.slice(0, slash).includes('uprobe:') ? header : header.slice(0, slash);
    const predicate = pointText === header ? '' : header.slice(slash).trim().replace(/^\/|\/$/g, '').trim();
    const points = pointText.split(',').map((p) => p.trim()).filter(Boolean);
    if (points.length === 0) throw new Error(`${group}.bt: a block without attach points near ${code.slice(headerStart, headerStart + 40)}`);
    // the comment right above: it ended after the previous block and before this header
    const previousEnd = blocks.length ? blockEnds[blocks.length - 1]! : 0;
    const note = comments.filter((c) => c.end >= previousEnd && c.end <= headerStart).at(-1)?.text ?? '';
    blocks.push({
      points,
      predicate,
      // lines that held only a comment are gone
      body: code.slice(open + 1, close).split('\n').filter((l) => l.trim() !== '').join('\n'),
      needs: noteField(note, 'needs'),
      fallback: noteField(note, 'without it'),
    });
    blockEnds.push(close + 1);
    i = close + 1;
  }
  return { group, blocks };
}

/** `tracepoint:kvm:kvm_exit` -> `kvm:kvm_exit`; null for BEGIN, interval:..., uprobe:... */
export function tracepointOf(point: string): string | null {
  const m = point.match(/^(?:tracepoint|t):([a-z0-9_]+):([a-z0-9_]+)$/);
  return m ? `${m[1]}:${m[2]}` : null;
}

const ASSIGN = /@([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*=(?!=)/g;
const USE = /@([A-Za-z_]\w*)/g;
/** A whole statement that only prints, clears or deletes a map. */
const MAP_ONLY_STATEMENT = /^\s*(?:print|clear|zero|delete)\(\s*@([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\);\s*$/;

function mapsWritten(block: ProbeBlock): Set<string> {
  return new Set([...`${block.body}`.matchAll(ASSIGN)].map((m) => m[1]!));
}

function mapsUsed(block: ProbeBlock): Set<string> {
  return new Set([...`${block.predicate} ${block.body}`.matchAll(USE)].map((m) => m[1]!));
}

function fieldsRead(block: ProbeBlock): string[] {
  return [...new Set([...`${block.predicate} ${block.body}`.matchAll(/args->(\w+)/g)].map((m) => m[1]!))];
}

/** A block that reads kernel structures (curtask->...) needs the kernel's BTF. */
function readsKernelTypes(block: ProbeBlock): boolean {
  return /\bcurtask\s*->/.test(`${block.predicate} ${block.body}`);
}

function isSpecial(block: ProbeBlock): boolean {
  return block.points.every((p) => SPECIAL.test(p));
}

/** The program for this kernel: see the top of this file for the rules. */
export function assembleProgram(program: ProbeProgram, catalog: TracepointCatalog): AssembledProgram {
  const points = new Map<string, PointStatus>();
  const mark = (point: string, state: PointState, reason: string, block: ProbeBlock): void => {
    const known = points.get(point);
    // attached wins over missing (an alternative block fitted), missing over unused
    if (known && (known.state === 'attached' || (known.state === 'missing' && state === 'unused'))) return;
    if (known?.state === 'missing' && state === 'attached') {
      // an older shape fitted: attached, but say what the full one lacked
      points.set(point, { ...known, state, reason: `older shape: ${known.reason}` });
      return;
    }
    points.set(point, { point, state, reason, needs: block.needs, fallback: block.fallback });
  };

  // 1. points and fields this kernel has; alternatives (same attach list) take the first that fits
  let kept: ProbeBlock[] = [];
  const fittedLists = new Set<string>();
  for (const block of program.blocks) {
    if (isSpecial(block)) {
      kept.push(block);
      continue;
    }
    const listKey = block.points.join(',');
    const tracepoints = block.points.map((p) => ({ p, tp: tracepointOf(p) }));
    const present = tracepoints.filter(({ tp }) => tp === null || catalog.has(tp));
    if (fittedLists.has(listKey)) {
      continue; // an earlier alternative fitted
    }
    if (present.length === 0) {
      for (const { tp } of tracepoints) if (tp) mark(tp, 'missing', 'not on this kernel', block);
      continue;
    }
    const lacking = fieldsRead(block).filter((f) => present.some(({ tp }) => tp !== null && !catalog.get(tp)!.has(f)));
    if (lacking.length > 0) {
      for (const { tp } of present) if (tp) mark(tp, 'missing', `no field ${lacking.join(', ')} on this kernel`, block);
      continue;
    }
    if (readsKernelTypes(block) && !catalog.has(KERNEL_BTF)) {
      for (const { tp } of present) if (tp) mark(tp, 'missing', 'reads task_struct, and this kernel has no BTF (/sys/kernel/btf/vmlinux)', block);
      continue;
    }
    fittedLists.add(listKey);
    kept.push({ ...block, points: present.map(({ p }) => p) });
    for (const { tp } of tracepoints) {
      if (tp && catalog.has(tp)) mark(tp, 'attached', '', block);
    }
    // an alternative name that is absent is not a loss when another one attached
    for (const { tp } of tracepoints) if (tp && !catalog.has(tp)) points.delete(tp);
  }

  // 2. maps nobody writes any more: drop their statements, and blocks that still read them
  for (let changed = true; changed; ) {
    changed = false;
    const written = new Set(kept.flatMap((b) => [...mapsWritten(b)]));
    const writtenAfterBegin = new Set(kept.filter((b) => !b.points.includes('BEGIN')).flatMap((b) => [...mapsWritten(b)]));
    const next: ProbeBlock[] = [];
    for (const block of kept) {
      const lines = block.body.split('\n');
      const body = lines.filter((line) => {
        const m = line.match(MAP_ONLY_STATEMENT);
        return !(m && !written.has(m[1]!));
      }).join('\n');
      const trimmed = { ...block, body };
      if (body !== block.body) changed = true;
      const unwritten = [...mapsUsed(trimmed)].filter((m) => !writtenAfterBegin.has(m));
      if (!isSpecial(block) && (unwritten.length > 0 || body.trim() === '')) {
        changed = true;
        for (const p of block.points) {
          const tp = tracepointOf(p);
          if (!tp) continue;
          const reason = unwritten.length > 0 ? `needs @${unwritten[0]}, which no attached point fills` : 'nothing left to do on this kernel';
          points.set(tp, { point: tp, state: 'unused', reason, needs: block.needs, fallback: block.fallback });
        }
        continue;
      }
      next.push(trimmed);
    }
    kept = next;
  }

  const dataBlocks = kept.filter((b) => !isSpecial(b)).length;
  return {
    group: program.group,
    text: dataBlocks === 0 ? '' : kept.map(renderBlock).join('\n\n') + '\n',
    points: [...points.values()],
    dataBlocks,
  };
}

/** A block as program text (the assembler's and the combiner's output). */
export function renderBlock(block: ProbeBlock): string {
  const predicate = block.predicate ? `\n/${block.predicate}/` : '';
  return `${block.points.join(',\n')}${predicate}\n{\n${block.body}\n}`;
}

/** Every tracepoint a program names (doctor, tests). */
export function tracepointsOf(program: ProbeProgram): string[] {
  return [...new Set(program.blocks.flatMap((b) => b.points.map(tracepointOf).filter((t): t is string => t !== null)))];
}
