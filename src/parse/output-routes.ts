// Which probe group a line of bpftrace output belongs to, when one bpftrace runs the
// programs of several groups (src/probe/combine-programs.ts builds the table from the
// programs' own text and checks that no name is in two groups). Pure.
// - a map (or hist) record: by its name, `@fault_user__0` -> faults;
// - `faultline_ready GROUP` and `faultline_tick GROUP ...`: by GROUP;
// - any other printf line, an event (`reclaim_stall pid=...`): by its first word;
// - anything no rule names (a test's probes dir, a fake bpftrace): the process's first
//   group, as when that group runs alone.
// Lost events are not in this table: bpftrace counts them for the whole process
// (src/parse/group-batcher.ts says where they go).

export interface OutputRoutes {
  /** The groups of one bpftrace process, in program order; the first takes what no rule names. */
  groups: readonly string[];
  /** `@fault_user__0` -> `faults` */
  groupOfMap: ReadonlyMap<string, string>;
  /** `reclaim_stall` -> `reclaim` */
  groupOfEvent: ReadonlyMap<string, string>;
}

/** The routes of a bpftrace that runs one group: everything is that group's. */
export function singleGroupRoutes(group: string): OutputRoutes {
  return { groups: [group], groupOfMap: new Map(), groupOfEvent: new Map() };
}

export function groupOfMap(routes: OutputRoutes, name: string): string {
  return routes.groupOfMap.get(name) ?? routes.groups[0]!;
}

/** The group of one printf line (no trailing newline). */
export function groupOfLine(routes: OutputRoutes, line: string): string {
  const space = line.indexOf(' ');
  const word = space < 0 ? line : line.slice(0, space);
  if (word === 'faultline_ready' || word === 'faultline_tick') {
    const named = line.slice(space + 1).split(' ', 1)[0]!;
    return space > 0 && routes.groups.includes(named) ? named : routes.groups[0]!;
  }
  return routes.groupOfEvent.get(word) ?? routes.groups[0]!;
}
