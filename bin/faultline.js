#!/usr/bin/env node
// Entry point: the CLI is compiled from src/ to dist/ by `npm ci` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
// The agent commands run the same code once per interval for hours. V8's optimizing
// compiler compiles a large function again after each deoptimization, ~110 ms of CPU
// for the collector's tick, more than its faster code saves at one call a second:
// functions of more than 1,500 bytes of bytecode keep their baseline code, and the
// small ones they call are optimized as before (docs/benchmarks.md, "The optimizing
// compiler").
if (['live', 'record', 'diagnose'].includes(process.argv[2] ?? '')) setFlagsFromString('--max-optimized-bytecode-size=1500');
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('faultline: not built yet; run `npm ci` (or `npm run build`) in the faultline folder first\n');
  process.exit(2);
}
await import(main.href);
