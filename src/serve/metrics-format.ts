// Prometheus text exposition format 0.0.4, written out by hand (no client library):
// one `# HELP` and one `# TYPE` line per metric family, then its samples, each family
// in one block, a newline at the end of every line. Pure.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

export type MetricType = 'counter' | 'gauge' | 'histogram';

export type Labels = Record<string, string>;

export interface Sample {
  /** Suffix after the family name: '', '_bucket', '_sum', '_count'. */
  suffix?: string;
  /** Labels, or their text already formatted and escaped (`a="x",b="y"`): a series
   * that appears in many samples formats its labels once. */
  labels: Labels | string;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

/** Label values: backslash, double quote and line feed are escaped. */
export function escapeLabelValue(value: string): string {
  return /["\\\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** HELP text: backslash and line feed are escaped (quotes are not). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go's ParseFloat reads these; JS prints integers without exponent up to 1e21. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** `a="x",b="y"`, escaped, in the order given. */
export function labelText(labels: Labels): string {
  return Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
}

export function formatLabels(labels: Labels | string): string {
  const text = typeof labels === 'string' ? labels : labelText(labels);
  return text ? `{${text}}` : '';
}

export function renderFamily(family: MetricFamily): string {
  if (family.samples.length === 0) return '';
  let text = `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
  for (const s of family.samples) text += `${family.name}${s.suffix ?? ''}${formatLabels(s.labels)} ${formatValue(s.value)}\n`;
  return text;
}

/** Appended with += (V8 keeps a rope and flattens it once, when the body is sent),
 * not lines joined per family and again for the whole: 100 VMs are ~3,500 lines. */
export function renderFamilies(families: MetricFamily[]): string {
  let text = '';
  for (const family of families) text += renderFamily(family);
  return text;
}
