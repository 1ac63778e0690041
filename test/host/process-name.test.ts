// hostProcessName (src/host/process-name.ts) on argv read from real processes: each
// case starts the process, reads /proc/PID/cmdline and checks the name; the
// interpreter options and java cases are SYNTHETIC argv (written here).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faultlineCommand, hostProcessName } from '../../src/host/process-name.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-names-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function argvOf(command: string, args: string[]): Promise<{ comm: string; argv: string[] }> {
  const child = spawn(command, args, { stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => setTimeout(r, 300));
  const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const comm = readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim();
  child.kill('SIGKILL');
  return { comm, argv };
}

test('real processes: a node script, a python script, a shell script, inline python', async () => {
  writeFileSync(join(dir, 'leaker.js'), 'setTimeout(() => {}, 60000);\n');
  writeFileSync(join(dir, 'worker.py'), 'import time\ntime.sleep(60)\n');
  writeFileSync(join(dir, 'backup.sh'), 'sleep 60\n');
  const node = await argvOf(process.execPath, ['--max-old-space-size=64', join(dir, 'leaker.js'), '--port', '80']);
  assert.equal(node.comm, 'node');
  assert.equal(hostProcessName(node.comm, node.argv), 'node leaker.js');
  const py = await argvOf('/usr/bin/python3', ['-u', join(dir, 'worker.py')]);
  assert.equal(hostProcessName(py.comm, py.argv), `${py.argv[0]!.split('/').at(-1)} worker.py`);
  const sh = await argvOf('/bin/bash', [join(dir, 'backup.sh')]);
  assert.equal(hostProcessName(sh.comm, sh.argv), 'bash backup.sh');
  const inline = await argvOf('/usr/bin/python3', ['-c', 'import time; time.sleep(60)']);
  assert.match(hostProcessName(inline.comm, inline.argv), /^python3(\.\d+)?$/);
});

test('faultline itself, however it was started, and its bpftrace by group', () => {
  // argv as /proc shows them for `npm run` / tests (tsx) and the installed bin
  assert.equal(hostProcessName('node', ['node', '--import', 'tsx', 'src/cli/main.ts', 'live', '--json']), 'faultline live');
  assert.equal(hostProcessName('node', ['/usr/bin/node', '/work/main/bin/faultline.js', 'record', '-o', 'x.flt']), 'faultline record');
  assert.equal(hostProcessName('node', ['/usr/local/bin/faultline', '--interval', '1s']), 'faultline');
  assert.equal(faultlineCommand(['node', 'server.js']), null);
  assert.equal(hostProcessName('bpftrace', ['bpftrace', '-f', 'json', '-e', 'BEGIN { printf("faultline_ready growth\\n"); }', '1000']), 'bpftrace (faultline growth)');
  assert.equal(hostProcessName('bpftrace', ['bpftrace', '-e', 'BEGIN { exit(); }']), 'bpftrace');
});

test('interpreter options and their values are skipped; inline code and jars', () => {
  assert.equal(hostProcessName('node', ['node', '--require', 'dotenv/config', 'app.js']), 'node app.js');
  assert.equal(hostProcessName('java', ['java', '-Xmx2g', '-jar', '/opt/kafka/kafka.jar']), 'java kafka.jar');
  assert.equal(hostProcessName('python3', ['python3', '-m', 'http.server']), 'python3 http.server');
  assert.equal(hostProcessName('node', ['node', '-e', 'while(1){}']), 'node');
  assert.equal(hostProcessName('sshd', ['/usr/sbin/sshd', '-D']), 'sshd');
  assert.equal(hostProcessName('systemd-journal', ['/lib/systemd/systemd-journald']), 'systemd-journald');
  assert.equal(hostProcessName('kworker/0:1', []), 'kworker/0:1');
});
