// Times of day, addresses and shares for the UI. Bytes, rates, counts and durations
// are src/format/quantities.ts's, the one formatter faultline has for them.

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

/** A position in a recording, as a player shows it: M:SS, or H:MM:SS from an hour. */
export function formatPlayerTime(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(sec)}` : `${m}:${pad2(sec)}`;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}
