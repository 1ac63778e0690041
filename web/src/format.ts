// Numbers as people read them: bytes in IEC units, rates per second, times local.
// Every function takes the unit its name says and returns a short string.

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < IEC.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${sign}${value.toFixed(digits)} ${IEC[unit]}`;
}

/** 1234 -> "1.23k", 0.5 -> "0.5". */
export function formatCount(count: number): string {
  if (!Number.isFinite(count)) return '–';
  const abs = Math.abs(count);
  if (abs >= 1e9) return `${(count / 1e9).toFixed(abs >= 1e10 ? 0 : 1)}G`;
  if (abs >= 1e6) return `${(count / 1e6).toFixed(abs >= 1e7 ? 0 : 1)}M`;
  if (abs >= 1e4) return `${(count / 1e3).toFixed(0)}k`;
  if (abs >= 1e3) return `${(count / 1e3).toFixed(1)}k`;
  if (abs === 0 || Number.isInteger(count)) return String(count);
  return count.toFixed(abs >= 10 ? 0 : 1);
}

export function formatPerSec(perSec: number): string {
  return `${formatCount(perSec)}/s`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms === 0) return '0';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatNs(ns: number): string {
  return formatMs(ns / 1e6);
}

/** Host-virtual or guest-physical address (exact below 2^53). */
export function formatHex(address: number): string {
  return `0x${address.toString(16)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local wall-clock time, HH:MM:SS. */
export function formatClock(timeMs: number): string {
  const d = new Date(timeMs);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Local date and time, YYYY-MM-DD HH:MM:SS. */
export function formatDateTime(timeMs: number): string {
  const d = new Date(timeMs);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${formatClock(timeMs)}`;
}

/** 75000 -> "1m 15s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad2(s % 60)}s`;
  return `${Math.floor(m / 60)}h ${pad2(m % 60)}m`;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}
