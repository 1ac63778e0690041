// Runs the real CLI, `faultline record --json ...`, as a child process: the snapshots
// it echoes on stdout are what it wrote to the recording.
import type { Snapshot } from '../../src/model/snapshot.js';
import { startCli, type LiveRun } from '../harness/faultline-live.js';

export interface RecordRun extends Omit<LiveRun, 'waitFor'> {
  waitFor(predicate: (all: Snapshot[]) => boolean, timeoutMs: number, what: string): Promise<void>;
}

export function startRecord(args: string[]): RecordRun {
  const run = startCli(['record', '--json', ...args]);
  return {
    ...run,
    waitFor: (predicate, timeoutMs, what) => run.waitFor((_s, all) => predicate(all), timeoutMs, what).then(() => {}),
  };
}
