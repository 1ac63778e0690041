// Parsing and checking command-line values. Pure; errors are E_BAD_VALUE with the
// flag named and an example of a good value.
import { FaultlineError } from '../model/errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "1s", "10m", "2h", or bare seconds ("30"). */
export function parseDurationMs(flag: string, text: string): number {
  const match = text.trim().match(/^(\d+(?:\.\d+)?)(ms|s|m|h)?$/);
  if (!match) {
    throw new FaultlineError('E_BAD_VALUE', `${flag} "${text}" is not a duration`, `use a number with a unit, e.g. ${flag} 1s, 500ms, 10m`);
  }
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 's']!);
  if (ms <= 0) throw new FaultlineError('E_BAD_VALUE', `${flag} must be more than zero`, `e.g. ${flag} 1s`);
  return ms;
}

export function parsePid(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) <= 0 || Number(text) > 4_194_304) {
    throw new FaultlineError('E_BAD_VALUE', `--pid "${text}" is not a process id`, 'pass a number, e.g. --pid 1234 (repeat --pid for more)');
  }
  return Number(text);
}

export function checkIntervalMs(ms: number): number {
  if (ms < 100 || ms > 3_600_000) {
    throw new FaultlineError('E_BAD_VALUE', `--interval must be between 100ms and 1h, got ${ms} ms`, 'the default, 1s, suits most hosts');
  }
  return ms;
}
