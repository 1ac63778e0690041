// A probe group's program for the running kernel: the group's file (probes/GROUP.bt)
// with the blocks whose tracepoints this kernel lacks left out (probe-program.ts says
// how). The IO around the pure assembler: the file and tracefs.
import { readFile } from 'node:fs/promises';
import { assembleProgram, parseProbeProgram, tracepointsOf, type AssembledProgram } from './probe-program.js';
import { readTracepointCatalog } from './tracepoint-catalog.js';
import { probeFile, type ProbeGroup } from './probe-groups.js';

export async function assembleGroup(group: ProbeGroup | string, tracefsPath: string, probesDir?: string): Promise<AssembledProgram> {
  const program = parseProbeProgram(group, await readFile(probeFile(group as ProbeGroup, probesDir), 'utf8'));
  const catalog = await readTracepointCatalog(tracefsPath, tracepointsOf(program));
  return assembleProgram(program, catalog);
}

/** One line for what a group lacks here: "filemap:mm_filemap_fault (needs Linux >= 6.11)". */
export function missingPointsText(program: AssembledProgram): string[] {
  return program.points
    .filter((p) => p.state === 'missing')
    .map((p) => `${p.point}${p.needs ? ` (needs ${p.needs})` : ''}: ${p.reason}${p.fallback ? `; instead: ${p.fallback}` : ''}`);
}
