// Real processes whose anonymous memory follows the corpus shapes
// (test/detect/shape-corpus.ts) through test/fixtures/programs/rss-follow.c: each
// maps or unmaps 1 MiB chunks every TICK_MS to hold the shape's next value, once it
// is told to go. The caller kills them (by pid) when done.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { compiledProgram } from './c-program.js';
import type { CorpusShape } from '../detect/shape-corpus.js';

export const FOLLOW_TICK_MS = 100;

export interface Followers {
  children: ChildProcess[];
  /** pid -> index in the shapes given */
  indexByPid: Map<number, number>;
  /** starts every follower on its series at once; returns when (Date.now()) */
  go(): number;
}

export function startFollowers(shapes: readonly CorpusShape[], durationS: number, dir: string): Followers {
  mkdirSync(dir, { recursive: true });
  const ticks = Math.ceil((durationS * 1000) / FOLLOW_TICK_MS);
  const children = shapes.map((shape, i) => {
    const file = `${dir}/shape-${i}.txt`;
    const values = Array.from({ length: ticks }, (_, k) => Math.max(0, Math.round(shape.mib((k * FOLLOW_TICK_MS) / 1000))));
    writeFileSync(file, `${values.join('\n')}\n`);
    return spawn(compiledProgram('rss-follow'), [String(FOLLOW_TICK_MS), file], { stdio: ['pipe', 'ignore', 'inherit'] });
  });
  return {
    children,
    indexByPid: new Map(children.map((c, i) => [c.pid!, i])),
    go: () => {
      for (const c of children) c.stdin!.write('go\n');
      return Date.now();
    },
  };
}
