// The four groups' programs as one (src/probe/combine-programs.ts), on the real
// tracefs captures of 6.1, 6.12 and 6.18 (test/fixtures/tracefs/real-*): no clash, one
// BEGIN and one END holding every group's, every other block of every group kept as it
// is, nothing added, only the numeric parameters. Then each kind of clash on SYNTHETIC
// programs, and where the output and the BPF programs go back to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROBE_GROUPS, probeFile } from '../../src/probe/probe-groups.js';
import { assembleGroup } from '../../src/probe/assemble-group.js';
import { combinePrograms, programClashes, ProgramClashError } from '../../src/probe/combine-programs.js';
import { parseProbeProgram, renderBlock, type AssembledProgram } from '../../src/probe/probe-program.js';
import { groupOfLine, groupOfMap } from '../../src/parse/output-routes.js';

const KERNELS = ['6.1', '6.12', '6.18'] as const;
const tracefs = (kernel: string): string => fileURLToPath(new URL(`../fixtures/tracefs/real-${kernel}/`, import.meta.url));
const assembled = (kernel: string): Promise<AssembledProgram[]> => Promise.all(PROBE_GROUPS.map((g) => assembleGroup(g, tracefs(kernel))));

const blocksOf = (program: AssembledProgram) => parseProbeProgram(program.group, program.text).blocks;
const isBeginOrEnd = (points: string[]): boolean => points.includes('BEGIN') || points.includes('END');

for (const kernel of KERNELS) {
  test(`${kernel}: the four groups combine with no clash; one BEGIN, one END, every block of every group`, async () => {
    const programs = await assembled(kernel);
    assert.deepEqual(programClashes(programs), []);
    const combined = combinePrograms(programs);
    assert.deepEqual(combined.groups, [...PROBE_GROUPS]);
    const blocks = parseProbeProgram('all', combined.text).blocks;
    assert.equal(blocks.filter((b) => b.points.includes('BEGIN')).length, 1, 'one BEGIN (0.17 refuses two)');
    assert.equal(blocks.filter((b) => b.points.includes('END')).length, 1, 'one END');
    assert.deepEqual(blocks[0]!.points, ['BEGIN'], 'BEGIN first');
    assert.deepEqual(blocks.at(-1)!.points, ['END'], 'END last');
    for (const program of programs) {
      for (const block of blocksOf(program)) {
        if (isBeginOrEnd(block.points)) {
          const merged = blocks.find((b) => b.points[0] === block.points[0])!;
          assert.ok(merged.body.includes(block.body), `${kernel} ${program.group}: its ${block.points[0]} body is in the merged one`);
        } else {
          assert.ok(combined.text.includes(renderBlock(block)), `${kernel} ${program.group}: ${block.points.join(',')} kept as it is`);
        }
      }
      // its ready line in BEGIN, its final tick in END, its own timer
      assert.match(blocks[0]!.body, new RegExp(`printf\\("faultline_ready ${program.group}\\\\n"\\)`));
      assert.match(blocks.at(-1)!.body, new RegExp(`faultline_tick ${program.group} %llu %llu final`));
      assert.equal(blocks.filter((b) => b.points[0] === 'interval:ms:10' && b.predicate.includes(`@${program.group}_interval`)).length, 1, `${program.group}: one timer on its own clock`);
    }
    const dataBlocks = programs.reduce((n, p) => n + blocksOf(p).filter((b) => !isBeginOrEnd(b.points)).length, 0);
    assert.equal(blocks.length, dataBlocks + 2, 'nothing else');
  });
}

test('the combined program: only lines of the probe files, parameters only as numbers', async () => {
  const combined = combinePrograms(await assembled('6.18'));
  const fileLines = new Set(PROBE_GROUPS.flatMap((g) => readFileSync(probeFile(g), 'utf8').split('\n').map((l) => l.trim().replace(/,$/, ''))));
  for (const line of combined.text.split('\n')) {
    const text = line.trim().replace(/,$/, '');
    // the merged blocks' own braces and names are the only lines the combiner writes
    if (['', '{', '}', 'BEGIN', 'END'].includes(text)) continue;
    assert.ok(fileLines.has(text), `not a line of the probe files: ${line}`);
  }
  assert.deepEqual([...new Set(combined.text.match(/\$[0-9#]+/g))].sort(), ['$#', '$1', '$2']);
  assert.doesNotMatch(combined.text, /str\(\s*\$\d/);
});

test('every map and event of the combined program goes back to its own group', async () => {
  const programs = await assembled('6.18');
  const combined = combinePrograms(programs);
  for (const program of programs) {
    for (const [, name] of program.text.matchAll(/(@\w+)/g)) assert.equal(groupOfMap(combined.routes, name!), program.group, name);
    assert.equal(groupOfLine(combined.routes, `faultline_tick ${program.group} 12 3400`), program.group);
    assert.equal(groupOfLine(combined.routes, `faultline_ready ${program.group}`), program.group);
  }
  assert.equal(groupOfLine(combined.routes, 'process_exit pid=4049 code=768 min_flt=89 maj_flt=0'), 'faults');
  assert.equal(groupOfLine(combined.routes, 'reclaim_stall pid=1 tid=1 kind=direct ns=20000000 comm=qemu system'), 'reclaim');
  assert.equal(groupOfLine(combined.routes, 'oom_victim pid=9'), 'reclaim');
  // nobody prints this: the first group, as if it ran alone
  assert.equal(groupOfLine(combined.routes, 'something_else x=1'), 'faults');
  assert.equal(groupOfMap(combined.routes, '@not_ours'), 'faults');
  // two groups on sched_process_exit: faults' block comes first in the text
  assert.deepEqual(combined.programs.groupsByTarget.get('sched_process_exit'), ['faults', 'growth']);
  assert.deepEqual(combined.programs.groupsByTarget.get('page_fault_user'), ['faults']);
  assert.deepEqual(combined.programs.groupsByTarget.get(''), [...PROBE_GROUPS], 'one timer per group');
});

test('one program runs as it is', async () => {
  const [faults] = await assembled('6.1');
  const alone = combinePrograms([faults!]);
  assert.equal(alone.text, faults!.text);
  assert.deepEqual(alone.groups, ['faults']);
});

/** A SYNTHETIC group program in the probes' shape. */
function synthetic(group: string, extra: string, begin = ''): AssembledProgram {
  const text = [
    `BEGIN\n{\n@${group}_interval = 1;\n${begin}printf("faultline_ready ${group}\\n");\n}`,
    extra,
    `interval:ms:10\n/@${group}_interval != 0/\n{\nprintf("faultline_tick ${group} %llu %llu\\n", @${group}_interval, nsecs);\n}`,
    `END\n{\nclear(@${group}_interval);\n}`,
  ].filter(Boolean).join('\n\n');
  return { group, text: `${text}\n`, points: [], dataBlocks: 1 };
}

test('clashes are found and named; the programs are then not combined', () => {
  const cases: [string, AssembledProgram[], RegExp][] = [
    ['a map in two groups', [synthetic('a', 'tracepoint:x:y\n{\n@shared[pid] = count();\n}'), synthetic('b', 'tracepoint:x:z\n{\n@shared[pid] = count();\n}')], /map @shared is used by a and b/],
    ['an event in two groups', [synthetic('a', 'tracepoint:x:y\n{\nprintf("boom pid=%d\\n", pid);\n}'), synthetic('b', 'tracepoint:x:z\n{\nprintf("boom tid=%d\\n", tid);\n}')], /event boom is printed by a and b/],
    ['a tick for another group', [synthetic('a', 'tracepoint:x:y\n{\nprintf("faultline_tick b 1 2\\n");\n}'), synthetic('b', '')], /a prints "faultline_tick" for "b"/],
    ['a line with no event name', [synthetic('a', 'tracepoint:x:y\n{\nprintf("%d faults\\n", pid);\n}'), synthetic('b', '')], /a prints a line that starts with no event name/],
    ['a scratch variable in two BEGINs', [synthetic('a', '', '$t = 1;\n'), synthetic('b', '', '$t = 2;\n')], /scratch variable \$t is in the BEGIN or END of a and b/],
    ['the same clock map', [synthetic('a', ''), { ...synthetic('b', ''), text: synthetic('b', '').text.replaceAll('@b_interval', '@a_interval') }], /map @a_interval is used by a and b/],
  ];
  for (const [what, programs, message] of cases) {
    assert.throws(() => combinePrograms(programs), (e: unknown) => e instanceof ProgramClashError && message.test(e.message), what);
  }
  assert.deepEqual(programClashes([synthetic('a', 'tracepoint:x:y\n{\n@a_x[pid] = count();\n}'), synthetic('b', 'tracepoint:x:y\n{\n@b_x[pid] = count();\n}')]), [], 'two blocks on one tracepoint are fine');
});
