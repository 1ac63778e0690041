// The saved real inputs the golden test runs, each with its expected file
// (expected/NAME.json) and the facts its output is checked against (facts.ts).
// How each was made: README.md here, and the READMEs next to the inputs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCapture, type CaptureRun, type Guest } from './capture-pipeline.js';
import { runRecording } from './recording-pipeline.js';
import { captureFacts, recordingFacts, type Facts } from './facts.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

export interface GoldenInput {
  name: string;
  /** repo-relative */
  files: string[];
  run: () => Promise<unknown>;
  /** Independent facts the expected output must agree with; throws when one does not. */
  facts: Facts;
}

/** samples/make-sample.ts records with `--leak-window 20s`. */
const SAMPLE_LEAK_WINDOW_MS = 20_000;

function sample(): GoldenInput {
  const file = 'samples/sample.flt';
  return { name: 'sample', files: [file], run: () => runRecording(ROOT, file, SAMPLE_LEAK_WINDOW_MS), facts: recordingFacts(ROOT, file) };
}

/** test/fixtures/bpftrace/VERSION/GROUP.ndjson: captured on a 6.18 Firecracker VM
 * without /dev/kvm, ticks every 500 ms (test/fixtures/bpftrace/README.md). */
function bpftraceCapture(version: string, group: string): GoldenInput {
  const run: CaptureRun = {
    file: `test/fixtures/bpftrace/${version}/${group}.ndjson`, group, kernel: '6.18.44-fc-v1272',
    bpftraceVersion: version, intervalMs: 500, virtIsa: '',
  };
  return { name: `bpftrace-${version}-${group}`, files: [run.file], run: async () => runCapture(ROOT, run), facts: captureFacts(ROOT, run) };
}

/** test/fixtures/bpftrace/real-kvm/CAPTURE/: kvm.bt on a real guest in the lab's L1
 * (nested SVM), ticks every 1000 ms (INTERVAL_MS of test/lab/l1-driver.ts; the ticks'
 * own clock agrees, facts.ts checks it). */
function realKvm(capture: string): GoldenInput {
  const dir = `test/fixtures/bpftrace/real-kvm/${capture}`;
  const guest = JSON.parse(readFileSync(`${ROOT}/${dir}/guest.json`, 'utf8')) as Guest;
  const run: CaptureRun = {
    file: `${dir}/kvm.ndjson`, group: 'kvm', kernel: guest.kernel, bpftraceVersion: guest.bpftrace, intervalMs: 1000, virtIsa: 'svm', guest,
  };
  return { name: `real-kvm-${capture}`, files: [run.file, `${dir}/guest.json`], run: async () => runCapture(ROOT, run), facts: captureFacts(ROOT, run) };
}

// 0.23 and 0.27 captures go through the same stages once parsed; what differs between
// the versions is the parser's business (test/parse/captured-output.test.ts). Adding
// one is a line here and an UPDATE_GOLDEN run (README.md).
export const INPUTS: GoldenInput[] = [
  sample(),
  ...['faults', 'growth', 'reclaim', 'kvm'].map((group) => bpftraceCapture('0.17', group)),
  realKvm('6.1-0.17'),
  realKvm('6.12-0.23'),
];
