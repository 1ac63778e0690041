// The probe files, assembled for a kernel's tracepoints. The catalogs are real
// captures of tracefs (test/fixtures/tracefs/real-*: Debian 12's 6.1 and Debian 13's
// 6.12 booted in the lab, this machine's 6.18); catalogs changed by hand are named
// synthetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROBE_GROUPS, probeFile } from '../../src/probe/probe-groups.js';
import { assembleProgram, KERNEL_BTF, parseProbeProgram, tracepointOf, tracepointsOf, type TracepointCatalog } from '../../src/probe/probe-program.js';
import { parseFormatFields, readTracepointCatalog } from '../../src/probe/tracepoint-catalog.js';

const KERNELS = ['6.1', '6.12', '6.18'] as const;
const tracefs = (kernel: string): string => fileURLToPath(new URL(`../fixtures/tracefs/real-${kernel}/`, import.meta.url));
const programOf = (group: string) => parseProbeProgram(group, readFileSync(probeFile(group as never), 'utf8'));

async function catalogOf(kernel: string, group: string): Promise<Map<string, ReadonlySet<string>>> {
  return new Map(await readTracepointCatalog(tracefs(kernel), tracepointsOf(programOf(group))));
}

/** Every map a kept block reads or prints is written by a kept block (else bpftrace
 * says "Undefined map"), and nothing but whole blocks of the file is in the text. */
function assertSelfContained(text: string, label: string): void {
  const written = new Set([...text.matchAll(/@(\w+)\s*(?:\[[^\]]*\])?\s*=(?!=)/g)].map((m) => m[1]));
  for (const m of text.matchAll(/@(\w+)/g)) assert.ok(written.has(m[1]), `${label}: @${m[1]} is used but never written`);
  assert.equal((text.match(/{/g) ?? []).length, (text.match(/}/g) ?? []).length, `${label}: braces`);
}

test('every probe file parses into blocks, each data block on tracepoints', () => {
  for (const group of PROBE_GROUPS) {
    const program = programOf(group);
    assert.ok(program.blocks.some((b) => b.points.includes('BEGIN')), `${group}: BEGIN`);
    assert.ok(program.blocks.some((b) => b.points.includes('END')), `${group}: END`);
    for (const block of program.blocks) {
      for (const p of block.points) assert.ok(/^(BEGIN|END|interval:ms:\d+)$/.test(p) || tracepointOf(p), `${group}: odd point ${p}`);
    }
  }
});

test('format files: field names, __data_loc and arrays included', () => {
  const fields = parseFormatFields(readFileSync(`${tracefs('6.1')}events/oom/mark_victim/format`, 'utf8'));
  for (const f of ['common_pid', 'pid', 'comm', 'anon_rss', 'oom_score_adj']) assert.ok(fields.has(f), f);
  assert.ok(parseFormatFields('\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n').has('comm'));
});

test('on 6.12 and 6.18 every group attaches whole; on 6.1 only filemap:mm_filemap_fault is missing', async () => {
  for (const kernel of KERNELS) {
    for (const group of PROBE_GROUPS) {
      const assembled = assembleProgram(programOf(group), await catalogOf(kernel, group));
      assertSelfContained(assembled.text, `${kernel} ${group}`);
      const missing = assembled.points.filter((p) => p.state !== 'attached').map((p) => p.point);
      const expected = kernel === '6.1' && group === 'faults' ? ['filemap:mm_filemap_fault'] : [];
      assert.deepEqual(missing, expected, `${kernel} ${group}`);
    }
  }
});

test('6.1 faults: the filemap block and its map are left out, with what it needs and what stands in', async () => {
  const assembled = assembleProgram(programOf('faults'), await catalogOf('6.1', 'faults'));
  assert.doesNotMatch(assembled.text, /mm_filemap_fault|@fault_file/);
  assert.match(assembled.text, /page_fault_user/);
  const filemap = assembled.points.find((p) => p.point === 'filemap:mm_filemap_fault')!;
  assert.equal(filemap.state, 'missing');
  assert.equal(filemap.reason, 'not on this kernel');
  assert.match(filemap.needs, /^Linux >= 6\.11/);
  assert.match(filemap.fallback, /major faults of \/proc\/PID\/stat/);
});

test('a renamed tracepoint: the async-pf block attaches to whichever name the kernel has (synthetic catalog)', async () => {
  const real = await catalogOf('6.1', 'kvm');
  const older: TracepointCatalog = new Map([...real].filter(([tp]) => tp !== 'kvm:kvm_async_pf_repeated_fault').concat([['kvm:kvm_async_pf_doublefault', new Set(['gva', 'gfn'])]]));
  for (const [catalog, name] of [[real, 'kvm_async_pf_repeated_fault'], [older, 'kvm_async_pf_doublefault']] as const) {
    const assembled = assembleProgram(programOf('kvm'), catalog);
    assert.match(assembled.text, new RegExp(`tracepoint:kvm:${name}\\n\\{[^}]*@kvm_async_pf__1\\[pid, 4\\]`));
    assert.equal(assembled.points.filter((p) => p.state !== 'attached').length, 0, 'the absent name is not a loss');
  }
});

test('mark_victim without the 2024 fields: the pid-only shape, reported as older (synthetic catalog)', async () => {
  const catalog = await catalogOf('6.1', 'reclaim');
  catalog.set('oom:mark_victim', new Set(['common_type', 'common_pid', 'pid']));
  const assembled = assembleProgram(programOf('reclaim'), catalog);
  assert.match(assembled.text, /printf\("oom_victim pid=%d\\n", args->pid\);/);
  assert.doesNotMatch(assembled.text, /anon_rss/);
  const oom = assembled.points.find((p) => p.point === 'oom:mark_victim')!;
  assert.equal(oom.state, 'attached');
  assert.match(oom.reason, /older shape: no field .*anon_rss/);
  // with the fields, the full shape only
  const full = assembleProgram(programOf('reclaim'), await catalogOf('6.1', 'reclaim'));
  assert.match(full.text, /anon_kb=/);
  assert.doesNotMatch(full.text, /oom_victim pid=%d\\n/);
});

test('any one tracepoint missing: the rest still assembles, self-contained (synthetic catalogs)', async () => {
  for (const group of PROBE_GROUPS) {
    const real = await catalogOf('6.18', group);
    // (the BTF entry is not a tracepoint: its absence has a test of its own)
    for (const tp of [...real.keys()].filter((k) => k !== KERNEL_BTF)) {
      const catalog = new Map(real);
      catalog.delete(tp);
      const assembled = assembleProgram(programOf(group), catalog);
      assertSelfContained(assembled.text, `${group} without ${tp}`);
      assert.ok(!assembled.text.includes(`:${tp}\n`) && !assembled.text.includes(`:${tp},`), `${group}: ${tp} still in the program`);
      assert.equal(assembled.points.find((p) => p.point === tp)?.state, 'missing', `${group}: ${tp} reported missing`);
    }
  }
});

test('a group none of whose tracepoints exist (kvm module not loaded) has no program', () => {
  const assembled = assembleProgram(programOf('kvm'), new Map());
  assert.equal(assembled.text, '');
  assert.equal(assembled.dataBlocks, 0);
  assert.ok(assembled.points.length >= 9 && assembled.points.every((p) => p.state === 'missing'));
});

test('growth without sys_exit_brk: the exec/exit blocks that only clean its map are unused, not attached (synthetic catalog)', async () => {
  const catalog = await catalogOf('6.18', 'growth');
  catalog.delete('syscalls:sys_exit_brk');
  const assembled = assembleProgram(programOf('growth'), catalog);
  assert.doesNotMatch(assembled.text, /sys_exit_brk|sched_process|@brk_bytes/);
  for (const tp of ['sched:sched_process_exec', 'sched:sched_process_exit']) {
    assert.equal(assembled.points.find((p) => p.point === tp)?.state, 'unused', tp);
  }
});

test('a kernel without BTF: the exit block (it reads task_struct) is left out and says why; the rest of faults attaches', async () => {
  const program = programOf('faults');
  const noBtf = new Map(await readTracepointCatalog(tracefs('6.12'), tracepointsOf(program), '/nonexistent/btf/vmlinux'));
  const assembled = assembleProgram(program, noBtf);
  assertSelfContained(assembled.text, '6.12 faults without BTF');
  assert.doesNotMatch(assembled.text, /process_exit|curtask/);
  assert.match(assembled.text, /page_fault_user/);
  const exit = assembled.points.find((p) => p.point === 'sched:sched_process_exit')!;
  assert.equal(exit.state, 'missing');
  assert.match(exit.reason, /no BTF/);
  assert.match(exit.fallback, /faults the probes counted/);
  const withBtf = assembleProgram(program, await catalogOf('6.12', 'faults'));
  assert.match(withBtf.text, /printf\("process_exit pid=%d code=%d/);
});
