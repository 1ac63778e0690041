// Deep mode on a real C program built here (test/fixtures/programs/leak-callsites.c,
// with frame pointers): one call site leaks 4 KiB every 10 ms, five others free
// what they allocate (malloc, calloc, realloc, mmap/munmap, a 1 MiB block glibc
// mmaps). `faultline leaks --pid PID --duration 10s --json --pprof FILE` must put
// keep_session at the top with the right order of magnitude of bytes, the others
// far below, and write a pprof profile that decodes with keep_session as the leaf of
// its biggest sample.
//
// The command runs from source: through the CLI when src/cli/main.ts knows `leaks`,
// else through runLeaks() (src/cli/leaks-command.ts) called from a one-line entry,
// the same code minus the dispatch. On bpftrace < 0.20 the uprobes fire in every
// process on the host for the 10 s: run it under the heavy lock,
//   flock /tmp/faultline-heavy.lock node test/run.mjs test/kernel/leak-deep.test.ts
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { kernelGate } from '../harness/kernel-gate.js';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';
import { PROFILE_PROTO } from '../harness/pprof-profile-proto.js';

const skip = kernelGate();
let workload: ChildProcess | null = null;
after(() => {
  if (workload && workload.exitCode === null && workload.signalCode === null) workload.kill('SIGKILL');
});

/** Built here with frame pointers and no sibling calls: user stacks are walked by frame pointer. */
function buildWorkload(): string {
  const source = fileURLToPath(new URL('../fixtures/programs/leak-callsites.c', import.meta.url));
  const flags = ['-O1', '-g', '-fno-omit-frame-pointer', '-fno-optimize-sibling-calls'];
  const hash = createHash('sha256').update(readFileSync(source)).update(flags.join(' ')).digest('hex').slice(0, 12);
  const dir = `${REPO_ROOT}test/.tmp/bin`;
  const binary = `${dir}/leak-callsites-fp-${hash}`;
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('cc', [...flags, '-o', binary, source], { stdio: 'inherit' });
  }
  return binary;
}

function leaksCommand(args: string[]): [string, string[]] {
  const [node, help] = cliCommand(['help']);
  const wired = spawnSync(node, help, { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.includes('leaks');
  if (wired) return cliCommand(['leaks', ...args]);
  const entry = `import('${REPO_ROOT}src/cli/leaks-command.ts').then((m) => m.runLeaks(process.argv.slice(1)))` +
    '.then((code) => { process.exitCode = code; }, (e) => { console.error(`faultline: error ${e.code}: ${e.message}\\n  ${e.hint}\\n  ${(e.evidence ?? []).join("\\n  ")}`); process.exitCode = 1; })';
  return [process.execPath, ['--import', 'tsx', '--input-type=module', '-e', entry, '--', ...args]];
}


interface JsonSite { bytes: number; count: number; sampled: number; oldestAgeMs: number; stack: string[] }

test('deep mode: the leaking call site is at the top with the right order of bytes; pprof decodes', { skip, timeout: 120_000 }, async (t) => {
  workload = spawn(buildWorkload(), ['10'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: workload.stdout! });
  const ready = new Promise<void>((resolve) => lines.once('line', () => resolve()));
  workload.stdin!.write('go\n');
  await ready;
  const pprofPath = `${REPO_ROOT}test/.tmp/leak-deep.pb.gz`;
  const durationS = 10;
  const minAgeS = 3;
  const [command, args] = leaksCommand(['--pid', String(workload.pid), '--duration', `${durationS}s`, '--min-age', `${minAgeS}s`, '--sample', '16', '--json', '--pprof', pprofPath]);
  const started = Date.now();
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.diagnostic(`faultline leaks ran ${((Date.now() - started) / 1000).toFixed(1)} s; stderr: ${stderr.trim().split('\n').join(' | ')}`);
  assert.equal(code, 0, `faultline leaks failed: ${stderr}`);
  const report = JSON.parse(stdout) as { totalBytes: number; durationMs: number; sites: JsonSite[] };
  for (const s of report.sites.slice(0, 5)) console.log(`  ${(s.bytes / 1024).toFixed(0).padStart(8)} KiB  ~${Math.round(s.count)} allocs (${s.sampled} kept)  ${s.stack.slice(0, 2).join(' <- ')}`);

  const top = report.sites[0]!;
  assert.match(top.stack[0]!, /^keep_session\+\d+ \(leak-callsites/, `top site: ${top.stack.join(' <- ')}`);
  assert.match(top.stack[1] ?? '', /^main\+/, 'the caller of keep_session is main');
  // 4 KiB per tick of a little over 10 ms, over the traced time (the probes' clock,
  // attach to END) minus the minimum age; sampled 1 in 16, so within a factor of 4
  const expected = 4096 * (100 * (report.durationMs / 1000 - minAgeS));
  console.log(`  keep_session: ${(top.bytes / 1024).toFixed(0)} KiB estimated, ~${(expected / 1024).toFixed(0)} KiB leaked in the counted time`);
  assert.ok(top.bytes > expected / 4 && top.bytes < expected * 4, `keep_session holds ${top.bytes} bytes, expected about ${expected}`);
  for (const other of report.sites.slice(1)) {
    assert.ok(other.bytes < top.bytes / 10, `a site that frees what it allocates holds ${other.bytes} bytes: ${other.stack.join(' <- ')}`);
  }

  const Profile = protobuf.parse(PROFILE_PROTO).root.lookupType('Profile');
  const profile = Profile.toObject(Profile.decode(gunzipSync(readFileSync(pprofPath))), { longs: Number }) as {
    sample: { locationId: number[]; value: number[] }[]; location: { id: number; line: { functionId: number }[] }[];
    function: { id: number; name: number }[]; stringTable: string[]; sampleType: { type: number }[];
  };
  const name = (locationId: number): string => {
    const fnId = profile.location.find((l) => l.id === locationId)!.line[0]!.functionId;
    return profile.stringTable[profile.function.find((f) => f.id === fnId)!.name]!;
  };
  assert.deepEqual(profile.sampleType.map((s) => profile.stringTable[s.type]), ['inuse_objects', 'inuse_space']);
  const biggest = [...profile.sample].sort((a, b) => b.value[1]! - a.value[1]!)[0]!;
  assert.equal(name(biggest.locationId[0]!), 'keep_session');
  assert.equal(biggest.value[1], Math.round(top.bytes));
});
