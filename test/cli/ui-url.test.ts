// The URL `faultline replay` and `faultline live` print ends its line, so what a
// double-click, a terminal or grep takes from it is the URL and nothing more: the
// server answers it. (replay used to print "... at http://127.0.0.1:7070/; Ctrl-C to
// stop", and the ";" came along.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';
import { uiUrlLine } from '../../src/cli/ui-url.js';
import { SAMPLE_RECORDING } from '../../src/cli/replay-command.js';

let replay: ChildProcess | null = null;
after(() => {
  if (replay?.exitCode === null) replay.kill('SIGTERM');
});

test('the UI line: the URL last, nothing after it', () => {
  assert.equal(uiUrlLine('http://127.0.0.1:7070/'), 'faultline: UI at http://127.0.0.1:7070/');
  assert.equal(uiUrlLine('http://[::1]:7070/?token=a%20b'), 'faultline: UI at http://[::1]:7070/?token=a%20b');
});

test('replay prints its URL alone at the end of a line, and that URL, as grep takes it, is the UI', { timeout: 60_000 }, async () => {
  const [command, argv] = cliCommand(['replay', SAMPLE_RECORDING, '--listen', '127.0.0.1:0', '--duration', '50s']);
  replay = spawn(command, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: replay!.stderr! }).on('line', (line) => {
      lines.push(line);
      if (/Ctrl-C to stop/.test(line)) resolve();
    });
    replay!.on('exit', (code) => reject(new Error(`faultline replay exited ${code}: ${lines.join(' | ')}`)));
  });
  const withUrl = lines.filter((l) => l.includes('http'));
  assert.equal(withUrl.length, 1, lines.join('\n'));
  assert.match(withUrl[0]!, /^faultline: UI at http:\/\/127\.0\.0\.1:\d+\/$/);
  // what `grep -o 'http\S*'` or a double-click takes
  const taken = withUrl[0]!.match(/http\S*/)![0];
  const page = await fetch(taken);
  assert.equal(page.status, 200, `${taken} answered ${page.status}`);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(lines.at(-1)!, /^faultline: replaying 61 snapshots of .*sample\.flt; Ctrl-C to stop$/);
});
