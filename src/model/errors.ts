// Errors that reach the user. Each has a stable code (documented in README.md,
// "When it fails"), says what to do next, and carries the evidence (for example
// the last lines bpftrace printed). One top-level handler prints them
// (src/cli/main.ts); stacks only with --debug.

export type ErrorCode =
  | 'E_NOT_ROOT'
  | 'E_NO_BPFTRACE'
  | 'E_OLD_BPFTRACE'
  | 'E_NO_TRACEFS'
  | 'E_LOCKDOWN'
  | 'E_PROBE_ATTACH'
  | 'E_PROBE_EXIT'
  | 'E_PROBE_MAP_FULL'
  | 'E_NO_PROBES'
  | 'E_USAGE'
  | 'E_BAD_VALUE'
  | 'E_NEEDS_TOKEN'
  | 'E_LISTEN'
  | 'E_NOT_RECORDING'
  | 'E_RECORDING_VERSION'
  | 'E_RECORDING_TRUNCATED'
  | 'E_RECORDING_CORRUPT'
  | 'E_RECORDING_READ'
  | 'E_RECORDING_WRITE'
  | 'E_NO_PROCESS'
  | 'E_NO_GLIBC';

export class FaultlineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint = '',
    readonly evidence: string[] = [],
  ) {
    super(message);
    this.name = 'FaultlineError';
  }
}
