#!/usr/bin/env node
// SYNTHETIC stand-in for bpftrace in bench/collector.ts: takes bpftrace's argv
// (-f json PROGRAM ARGS...), says it attached, then at every whole second of the wall
// clock prints a marker line `bench_print t=<ms>` and the interval output in
// $FAULTLINE_BENCH_OUTPUT_DIR/<group>.ndjson (the group is the program's file name,
// read anew at every print),
// as bpftrace prints an interval: maps, then faultline_tick. SIGINT ends it the way
// bpftrace 0.17 ends (two blank lines, exit 0).
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const program = process.argv[4] ?? 'faults.bt';
const group = basename(program, '.bt');
// read at every print: bench/soak.ts replaces the file as VMs come and go
const outputPath = join(process.env.FAULTLINE_BENCH_OUTPUT_DIR ?? '.', `${group}.ndjson`);
const write = (text) => process.stdout.write(text);

process.on('SIGINT', () => {
  write('\n\n');
  process.exit(0);
});
process.stdout.on('error', () => process.exit(0));
write('{"type": "attached_probes", "data": {"probes": 4}}\n');
write(`{"type": "printf", "data": "faultline_ready ${group}\\n"}\n`);

function next() {
  setTimeout(() => {
    write(`{"type": "printf", "data": "bench_print t=${Date.now()}\\n"}\n`);
    write(readFileSync(outputPath));
    next();
  }, 1000 - (Date.now() % 1000));
}
next();
