// What bpftrace says on stderr that is not worth keeping as evidence. Newer versions
// warn about things in our probes that are fine on every version (bpftrace 0.27 prints
// 10-30 of these per program, each with two lines of source excerpt), and a real error
// kept among the last 20 stderr lines must not drown in them. Each pattern is a warning
// checked by hand on our probes (see probes/README.md, "Limits and versions"):
const KNOWN_HARMLESS = [
  // at start on hosts with a low memlock limit; the probes load anyway
  /couldn't set RLIMIT_MEMLOCK/,
  // 0.23+: only needed for kprobes, which faultline does not use
  /Could not read functions from .*available_filter_functions/,
  // 0.27: the (uint64) on the hash constant is needed by 0.17 ("integers of different signs")
  /WARNING: Unnecessary cast/,
  // 0.27: syscall tracepoint arguments read as numbers (lengths, addresses), never dereferenced
  /WARNING: Addrspace mismatch/,
  // 0.26+: subtraction yields int64; our operands are timestamps and addresses, far below 2^63
  /WARNING: Expression of type: \w+ being cast to type: \w+/,
  // 0.27: delete() returns whether the key was there; we delete scratch keys either way
  /WARNING: Return value discarded/,
  // 0.17 without the (uint64) on the hash constant (kept above)
  /WARNING: arithmetic on integers of different signs/,
];

const SOURCE_LOCATION = /^(stdin|[^\s:]+\.bt):\d+:\d+(-\d+)?: /;
const EXCERPT_MARKER = /^\s*[~^]+\s*$/;

export function isKnownHarmless(line: string): boolean {
  return line.trim() === '' || KNOWN_HARMLESS.some((re) => re.test(line));
}

/** Feeds stderr lines one by one; says which to keep. A harmless warning takes its
 * source excerpt with it (the quoted line and the ~~~ marker under it). */
export class StderrFilter {
  private skipping = 0;
  filtered = 0;

  keep(line: string): boolean {
    if (this.skipping > 0) {
      this.skipping -= 1;
      if (EXCERPT_MARKER.test(line)) this.skipping = 0;
      // a new message ends the excerpt early
      if (!SOURCE_LOCATION.test(line) && !/^(ERROR|WARNING)/.test(line)) return false;
      this.skipping = 0;
    }
    if (isKnownHarmless(line)) {
      this.filtered += 1;
      if (SOURCE_LOCATION.test(line)) this.skipping = 2;
      return false;
    }
    return true;
  }
}

/** The line of bpftrace's stderr that says what went wrong: the last ERROR line (a
 * compile error is followed by the source line and a ~~~ marker under it), else the
 * last line. */
export function errorLine(evidence: readonly string[]): string | undefined {
  return evidence.findLast((line) => /\bERROR\b/.test(line)) ?? evidence.at(-1);
}
