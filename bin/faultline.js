#!/usr/bin/env node
// Entry point: the CLI is compiled from src/ to dist/ by `npm ci` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('faultline: not built yet; run `npm ci` (or `npm run build`) in the faultline folder first\n');
  process.exit(2);
}
await import(main.href);
