// A diagnosis for a terminal: the headline alone when healthy, else each cause with
// its numbers and its remedy. Pure.
import type { Diagnosis } from './diagnose.js';

export function renderDiagnosis(d: Diagnosis): string {
  if (d.causes.length === 0) return `${d.headline}\n`;
  const lines = [d.headline, ''];
  d.causes.forEach((c, i) => {
    lines.push(`${i + 1}. [${c.severity}] ${c.title}`);
    for (const e of c.evidence) lines.push(`   ${e}`);
    lines.push(`   do: ${c.remedy}`);
  });
  return `${lines.join('\n')}\n`;
}
