// The project's rules and dashboard, read from deploy/monitoring/ where the repository (and the
// image, which keeps the repository's layout under /app) has them beside operator/: the operator
// ships the same files the docs and the chart do, not a copy that could drift. Read when a Hearth
// first asks for them, and kept once read: they do not change under a running operator.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { dashboardOf, ruleGroupsOf, type Dashboard, type Parsed, type RuleGroup } from '../tiers/index.ts';

export const monitoringDir = path.resolve(import.meta.dirname, '..', '..', '..', 'deploy', 'monitoring');
export const hearthRulesFile = 'hearth-rules.yaml';
export const hearthDashboardFile = 'hearth-dashboard.json';

export interface MonitoringFiles {
  rules(): Promise<Parsed<readonly RuleGroup[]>>;
  dashboard(): Promise<Parsed<Dashboard>>;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `read` once it succeeds; a failure is not kept, so a file put in place later is read then. */
function once<T>(read: () => Promise<Parsed<T>>): () => Promise<Parsed<T>> {
  let kept: Parsed<T> | undefined;
  return async () => {
    if (kept !== undefined) return kept;
    const result = await read();
    if (result.ok) kept = result;
    return result;
  };
}

async function readText(dir: string, file: string): Promise<Parsed<string>> {
  try {
    return { ok: true, value: await readFile(path.join(dir, file), 'utf8') };
  } catch (error) {
    return { ok: false, message: `cannot read ${file} of the operator's deploy/monitoring: ${describeError(error)}` };
  }
}

export function createMonitoringFiles(dir = monitoringDir): MonitoringFiles {
  return {
    rules: once(async () => {
      const text = await readText(dir, hearthRulesFile);
      if (!text.ok) return text;
      try {
        return ruleGroupsOf(parse(text.value));
      } catch (error) {
        return { ok: false, message: `${hearthRulesFile} is not YAML: ${describeError(error)}` };
      }
    }),
    dashboard: once(async () => {
      const text = await readText(dir, hearthDashboardFile);
      return text.ok ? dashboardOf(text.value) : text;
    }),
  };
}
