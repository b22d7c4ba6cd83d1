// The project's Grafana dashboard (deploy/monitoring/hearth-dashboard.json) made one Hearth's. The
// Grafana sidecar loads every ConfigMap labelled grafana_dashboard from the namespaces it searches
// into one folder, and Grafana refuses a second dashboard with a uid it already has: so each
// Hearth's copy gets a uid and a title of its own, and its namespace and hearth variables start
// on that Hearth (they can still be switched to another). Pure.
import { createHash } from 'node:crypto';
import type { Parsed } from './observability-rules.ts';

export type Dashboard = Readonly<Record<string, unknown>>;

interface TemplateVariable {
  readonly name?: unknown;
  readonly [key: string]: unknown;
}

/** The dashboard JSON, or why it is not one (an object with a title and panels). */
export function dashboardOf(text: string): Parsed<Dashboard> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `the dashboard is not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return { ok: false, message: 'the dashboard is not a JSON object' };
  const dashboard = document as Dashboard;
  if (typeof dashboard.title !== 'string' || !Array.isArray(dashboard.panels)) return { ok: false, message: 'the dashboard has no title or no panels' };
  return { ok: true, value: dashboard };
}

/** Grafana allows 40 characters; 16 hex digits of a hash keep two Hearths apart. */
export function hearthDashboardUid(namespace: string, name: string): string {
  return `hearth-${createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 16)}`;
}

/** The values the Hearth's own copy starts on, by variable name. */
function startingValues(namespace: string, name: string): Readonly<Record<string, string>> {
  return { namespace, hearth: name };
}

function startOn(variable: TemplateVariable, values: Readonly<Record<string, string>>): TemplateVariable {
  const value = typeof variable.name === 'string' ? values[variable.name] : undefined;
  if (value === undefined) return variable;
  return { ...variable, current: { selected: true, text: value, value } };
}

export function hearthDashboard(dashboard: Dashboard, namespace: string, name: string): Dashboard {
  const templating = dashboard.templating as { list?: unknown } | undefined;
  const values = startingValues(namespace, name);
  const list = Array.isArray(templating?.list) ? (templating.list as TemplateVariable[]).map((variable) => startOn(variable, values)) : undefined;
  return {
    ...dashboard,
    // Grafana numbers dashboards itself; a provisioned one must not carry another's id.
    id: null,
    uid: hearthDashboardUid(namespace, name),
    title: `${String(dashboard.title)} (${namespace}/${name})`,
    ...(list === undefined ? {} : { templating: { ...templating, list } }),
  };
}
