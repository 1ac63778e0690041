// bpftrace JSON lines through the real parser and batcher: the interval batches a
// probe group's output makes (the last, unfinished interval is not flushed).
import assert from 'node:assert/strict';
import { parseBpftraceLine } from '../../src/parse/bpftrace-json.js';
import { ProbeBatcher, type ProbeBatch } from '../../src/parse/probe-batch.js';

export function probeBatches(group: string, lines: string[]): ProbeBatch[] {
  const batcher = new ProbeBatcher(group);
  const batches: ProbeBatch[] = [];
  for (const line of lines) {
    const r = parseBpftraceLine(line);
    assert.ok(r.ok, line);
    for (const rec of r.records) {
      const out = batcher.push(rec);
      if (out?.kind === 'batch') batches.push(out.batch);
    }
  }
  return batches;
}
