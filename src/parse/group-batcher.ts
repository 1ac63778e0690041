// One bpftrace's output, for one or several probe groups, into each group's interval
// batches: a ProbeBatcher per group, each record routed by src/parse/output-routes.ts.
// Pure state machine; the runner (src/probe/bpftrace-runner.ts) feeds it.
//
// Lost events: bpftrace counts them for the whole process (one ring buffer for every
// program in it), so which group's events were dropped is not known. They go into the
// batch of the process's first group, once (so the snapshot's total counts them once),
// with `lostEventsOf` naming every group of the process when there are several (the
// lost-events event says so).
import type { BpftraceRecord } from './bpftrace-json.js';
import { ProbeBatcher, type ProbeBatch } from './probe-batch.js';
import { groupOfLine, groupOfMap, type OutputRoutes } from './output-routes.js';

export interface GroupBatcherHandlers {
  /** A group printed `faultline_ready GROUP`. */
  onReady: (group: string) => void;
  onBatch: (batch: ProbeBatch) => void;
  /** Each event line as soon as it is printed (it comes in its batch as well). */
  onEventLine?: (line: string) => void;
}

export class GroupBatcher {
  private readonly batchers = new Map<string, ProbeBatcher>();
  private readonly firstGroup: string;

  constructor(private readonly routes: OutputRoutes, private readonly handlers: GroupBatcherHandlers) {
    for (const group of routes.groups) this.batchers.set(group, new ProbeBatcher(group, handlers.onEventLine));
    this.firstGroup = routes.groups[0]!;
  }

  push(record: BpftraceRecord): void {
    if (record.type === 'map' || record.type === 'hist') {
      this.feed(groupOfMap(this.routes, record.name), record);
    } else if (record.type === 'printf') {
      // one printf of ours is one line; a record of several is split so each is routed
      for (const line of record.text.split('\n')) {
        if (line !== '') this.feed(groupOfLine(this.routes, line), { type: 'printf', text: `${line}\n` });
      }
    } else {
      this.feed(this.firstGroup, record);
    }
  }

  /** What arrived after each group's last tick (the dump at exit), as incomplete batches. */
  flush(): void {
    for (const batcher of this.batchers.values()) {
      const last = batcher.flush();
      if (last) this.emit(last);
    }
  }

  private feed(group: string, record: BpftraceRecord): void {
    const out = this.batchers.get(group)!.push(record);
    if (out?.kind === 'ready') this.handlers.onReady(group);
    else if (out?.kind === 'batch') this.emit(out.batch);
  }

  private emit(batch: ProbeBatch): void {
    const shared = batch.lostEvents > 0 && this.routes.groups.length > 1;
    this.handlers.onBatch(shared ? { ...batch, lostEventsOf: [...this.routes.groups] } : batch);
  }
}
