// One run of the collector benchmark's pipeline in a process of its own, started by
// bench/collector.ts once per run; prints the run's numbers as JSON on stdout.
//   collector-run DIR VMS INTERVALS WARMUP SCRAPE_EVERY
import { pipeline } from './collector.js';
import { syntheticVms, trackedProcesses } from './lib/synthetic-host.js';

const [dir, vms, intervals, warmup, scrapeEvery] = process.argv.slice(2);
const rows = trackedProcesses(syntheticVms(Number(vms)));
const run = await pipeline(
  { intervals: Number(intervals), warmup: Number(warmup), scrapeEveryIntervals: Number(scrapeEvery), log: (line) => void process.stderr.write(`${line}\n`) },
  dir!,
  rows,
);
process.stdout.write(`${JSON.stringify(run)}\n`);
