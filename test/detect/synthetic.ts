// Seeded synthetic memory series for the detector tests: a small PRNG (mulberry32),
// Gaussian noise (Box-Muller) with rare upward spikes (a transient allocation caught
// by the poll), and the shapes of docs/heuristics.md. Made up, hence "synthetic".
import type { HostHistoryPoint, VmHistoryPoint } from '../../src/detect/history.js';
import { mulberry32 } from '../harness/seeded-random.js';

export const MiB = 2 ** 20;
export const KiB = 1024;

/** Noise of standard deviation `sigma`, plus a spike of +5 sigma on 2% of samples. */
export function noiseSource(seed: number, sigma: number): () => number {
  const rand = mulberry32(seed);
  return () => {
    const u = Math.max(rand(), 1e-12);
    const gauss = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    return sigma * gauss + (rand() < 0.02 ? 5 * sigma : 0);
  };
}

export const T0 = 1_700_000_000_000;

/** Sample times: every intervalMs for durationMs. */
export function times(durationMs: number, intervalMs: number): number[] {
  const out: number[] = [];
  for (let t = 0; t <= durationMs; t += intervalMs) out.push(t);
  return out;
}

export function vmPointAt(tMs: number, intervalMs: number, fields: Partial<VmHistoryPoint> = {}): VmHistoryPoint {
  return {
    timeMs: T0 + tMs, intervalMs,
    anonBytes: 0, swapBytes: 0, fileBytes: 0, guestRamBytes: 0, ownAnonBytes: 0,
    memoryBytes: 0, guestRamKnown: false,
    mmapBytes: 0, munmapBytes: 0, brkBytes: 0, balloonBytes: 0, lostEvents: 0, growthProbe: true,
    ...fields,
  };
}

export function hostPointAt(tMs: number, intervalMs: number, fields: Partial<HostHistoryPoint> = {}): HostHistoryPoint {
  return {
    timeMs: T0 + tMs, intervalMs,
    memTotalBytes: 64 * 1024 * MiB, memAvailableBytes: 40 * 1024 * MiB, slabUnreclaimableBytes: 200 * MiB, psiMemSomeAvg10: 0,
    ...fields,
  };
}

/** Shapes as functions of time (seconds) -> bytes above a baseline. */
export const shapes = {
  steady: (bytesPerSec: number) => (s: number) => bytesPerSec * s,
  sawtooth: (periodS: number, amplitude: number) => (s: number) => amplitude * ((s % periodS) / periodS),
  warmUp: (total: number, tauS: number) => (s: number) => total * (1 - Math.exp(-s / tauS)),
  step: (atS: number, bytes: number) => (s: number) => (s >= atS ? bytes : 0),
  staircase: (everyS: number, bytes: number) => (s: number) => Math.floor(s / everyS) * bytes,
  capped: (bytesPerSec: number, cap: number) => (s: number) => Math.min(cap, bytesPerSec * s),
  sum: (...fs: ((s: number) => number)[]) => (s: number) => fs.reduce((acc, f) => acc + f(s), 0),
};
