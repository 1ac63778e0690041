// `faultline rules`: Prometheus alerting rules made from the diagnosis thresholds.
// Wiring only: src/diagnose/alert-rules.ts makes them.
import { parseArgs } from 'node:util';
import { FaultlineError } from '../model/errors.js';
import { alertRulesYaml, DEFAULT_RULE_TIMING } from '../diagnose/alert-rules.js';
import { readThresholds } from '../diagnose/thresholds.js';

export const RULES_HELP = `Usage: faultline rules [--thresholds FILE] [--warning-for DUR] [--critical-for DUR]

Prints Prometheus alerting rules for faultline's /metrics, made from the same
thresholds as 'faultline diagnose' (docs/diagnosis.md): host memory low or used,
paging, PSI, overcommit, OOM kills, reclaim stalls per VM, memory cgroups near
their limit, leaks. Load them in Prometheus (rule_files:) on a fleet where every
host runs 'faultline live'. The file for the default thresholds ships as
docs/prometheus/faultline-rules.yml.

Options:
  --thresholds FILE   a JSON object that changes some thresholds, as for diagnose
  --warning-for DUR   how long a warning holds before it fires (default ${DEFAULT_RULE_TIMING.warningFor})
  --critical-for DUR  the same for critical ones (default ${DEFAULT_RULE_TIMING.criticalFor})
                      (Prometheus durations: 30s, 2m, 1h)
`;

const PROMETHEUS_DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

export async function runRules(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      thresholds: { type: 'string' },
      'warning-for': { type: 'string', default: DEFAULT_RULE_TIMING.warningFor },
      'critical-for': { type: 'string', default: DEFAULT_RULE_TIMING.criticalFor },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(RULES_HELP);
    return 0;
  }
  for (const flag of ['warning-for', 'critical-for'] as const) {
    if (!PROMETHEUS_DURATION.test(values[flag])) throw new FaultlineError('E_BAD_VALUE', `--${flag} "${values[flag]}" is not a Prometheus duration`, 'e.g. 30s, 2m, 1h');
  }
  process.stdout.write(alertRulesYaml(readThresholds(values.thresholds), { warningFor: values['warning-for'], criticalFor: values['critical-for'] }));
  return 0;
}
