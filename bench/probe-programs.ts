// The BPF programs the probe-cost benchmark sets side by side with faultline's own
// probes (probes/*.bt). All run on exceptions:page_fault_user, the hottest tracepoint
// faultline attaches to.

const ON_FAULT = 'tracepoint:exceptions:page_fault_user';

/** One counter, nothing else: the least a BPF program on this tracepoint can cost. */
export const FLOOR = `${ON_FAULT} { @ = count(); } interval:s:1 { clear(@); }`;

/** The DESIGN.md comparison point: every fault counted by (pid, 2 MiB region). */
export const REGION_KEY = `${ON_FAULT} { @r[pid, args->address >> 21] = count(); } interval:s:1 { clear(@r); }`;

/** What a user writes first: one line per fault, streamed to user space. */
export const NAIVE_PRINTF = `${ON_FAULT} { printf("%d %d 0x%lx\\n", pid, tid, args->address); }`;

/** The page-number hash faults.bt samples with (1 in 16 pages). */
const HASHED_SAMPLE = '((((args->address >> 12) * (uint64)0x9E3779B97F4A7C15) >> 60) == 0)';

/** The same hash with the 16.8 ms time window added to the page number, so a page
 * that faults again and again is sampled in 1 window in 16, not always or never. */
const HASHED_TIMED_SAMPLE = '(((((args->address >> 12) + (nsecs >> 24)) * (uint64)0x9E3779B97F4A7C15) >> 60) == 0)';

/** Ideas for the user-fault program, measured by `npm run bench -- variants`. */
export const VARIANTS: Record<string, string> = {
  'before: exact per-pid count + 1/16 region sample (page & 15)': `${ON_FAULT} { @fault_user[pid] = count(); if (((args->address >> 12) & 15) == 0) { @fault_region_sampled[pid, args->address >> 21] = count(); } }`,
  'exact per-pid count only, count()': `${ON_FAULT} { @x[pid] = count(); }`,
  'exact per-pid count only, @x[pid]++': `${ON_FAULT} { @x[pid]++; }`,
  'per-pid count in 256 slots, @x[pid & 255]': `${ON_FAULT} { @x[pid & 255] = count(); }`,
  'lhist(pid % 1000, 0, 1000, 1)': `${ON_FAULT} { @h = lhist(pid % 1000, 0, 1000, 1); }`,
  'unsampled (pid, region) count': `${ON_FAULT} { @r[pid, args->address >> 21] = count(); }`,
  '1/16 region sample only (page & 15)': `${ON_FAULT} { if (((args->address >> 12) & 15) == 0) { @r[pid, args->address >> 21] = count(); } }`,
  '1/16 region sample only (rand % 16)': `${ON_FAULT} { if (rand % 16 == 0) { @r[pid, args->address >> 21] = count(); } }`,
  '1/16 region sample only (page hash), predicate': `${ON_FAULT} /${HASHED_SAMPLE}/ { @r[pid, args->address >> 21] = count(); }`,
  '1/16 region sample only (page + time window hash), predicate': `${ON_FAULT} /${HASHED_TIMED_SAMPLE}/ { @r[pid, args->address >> 21] = count(); }`,
  '1/16 rand sample, region count + per-pid sum(16)': `${ON_FAULT} /rand % 16 == 0/ { @fault_user[pid] = sum(16); @fault_region_sampled[pid, args->address >> 21] = count(); }`,
  'after: 1/16 page+window hash, region count + per-pid sum(16)': `${ON_FAULT} /${HASHED_TIMED_SAMPLE}/ { @fault_user[pid] = sum(16); @fault_region_sampled[pid, args->address >> 21] = count(); }`,
  '1/16 page hash, region count + per-pid sum(16)': `${ON_FAULT} /${HASHED_SAMPLE}/ { @fault_user[pid] = sum(16); @fault_region_sampled[pid, args->address >> 21] = count(); }`,
};
