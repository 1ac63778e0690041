// How a process ended, in words (src/aggregate/process-exit.ts decodes it). Pure;
// the web UI uses it too.
import type { ProcessExit } from '../model/snapshot.js';

/** Linux x86-64 / generic signal numbers (signal(7)). */
const SIGNAL_NAMES: Record<number, string> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE',
  9: 'SIGKILL', 10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM',
  16: 'SIGSTKFLT', 17: 'SIGCHLD', 18: 'SIGCONT', 19: 'SIGSTOP', 20: 'SIGTSTP', 21: 'SIGTTIN', 22: 'SIGTTOU',
  23: 'SIGURG', 24: 'SIGXCPU', 25: 'SIGXFSZ', 26: 'SIGVTALRM', 27: 'SIGPROF', 28: 'SIGWINCH', 29: 'SIGIO',
  30: 'SIGPWR', 31: 'SIGSYS',
};

export function signalName(signal: number): string {
  return SIGNAL_NAMES[signal] ?? (signal >= 34 && signal <= 64 ? `SIGRTMIN+${signal - 34}` : `signal ${signal}`);
}

/** "exited with code 3", "killed by SIGTERM", "killed by the OOM killer", "ended". */
export function describeExit(exit: Pick<ProcessExit, 'cause' | 'code' | 'signal'>): string {
  switch (exit.cause) {
    case 'oom-kill':
      return 'killed by the OOM killer';
    case 'signal':
      return `killed by ${signalName(exit.signal)}`;
    case 'exit':
      return `exited with code ${exit.code}`;
    default:
      return 'ended';
  }
}

/** For a table cell: "OOM-killed", "SIGTERM", "exit 3", "ended". */
export function shortExit(exit: Pick<ProcessExit, 'cause' | 'code' | 'signal'>): string {
  switch (exit.cause) {
    case 'oom-kill':
      return 'OOM-killed';
    case 'signal':
      return signalName(exit.signal);
    case 'exit':
      return `exit ${exit.code}`;
    default:
      return 'ended';
  }
}
