/**
 * Reads a Grafana dashboard's JSON model for tests: its panels (rows flattened, each panel with
 * the row it sits under), their Prometheus queries, and its template variables; and expands
 * Grafana's variables in a query so that Prometheus itself can run it.
 */

export interface DashboardTarget {
  readonly refId?: string;
  readonly expr?: string;
  readonly datasource?: unknown;
  readonly legendFormat?: string;
}

export interface DashboardPanel {
  readonly id?: number;
  readonly type: string;
  readonly title: string;
  readonly description?: string;
  readonly datasource?: unknown;
  readonly targets?: readonly DashboardTarget[];
  readonly fieldConfig?: { readonly defaults?: { readonly unit?: string } };
  readonly gridPos?: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  /** A collapsed row holds its panels. */
  readonly panels?: readonly DashboardPanel[];
}

export interface DashboardVariable {
  readonly name: string;
  readonly type: string;
  readonly query?: unknown;
  readonly definition?: string;
  readonly datasource?: unknown;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: readonly DashboardPanel[];
  readonly templating: { readonly list: readonly DashboardVariable[] };
}

/** A panel that shows data (not a row), with the title of the row above it ('' before any row). */
export interface PlacedPanel {
  readonly row: string;
  readonly panel: DashboardPanel;
}

export interface PanelQuery {
  readonly row: string;
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
}

/** Every panel that is not a row, in order, with its row; a collapsed row's own panels included. */
export function placedPanels(dashboard: Dashboard): PlacedPanel[] {
  const placed: PlacedPanel[] = [];
  let row = '';
  for (const panel of dashboard.panels) {
    if (panel.type === 'row') {
      row = panel.title;
      for (const inner of panel.panels ?? []) placed.push({ row, panel: inner });
    } else {
      placed.push({ row, panel });
    }
  }
  return placed;
}

/** Every PromQL query of every panel. */
export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  return placedPanels(dashboard).flatMap(({ row, panel }) =>
    (panel.targets ?? []).flatMap((target) => (target.expr === undefined ? [] : [{ row, panel: panel.title, refId: target.refId ?? '', expr: target.expr }])),
  );
}

/**
 * The query with Grafana's variables replaced: $name, ${name}, ${name:format} and [[name]], the
 * built-in ones ($__rate_interval, $__interval, $__range) included. A variable not in `values` throws,
 * so that a query using one the test does not know about fails loudly rather than silently.
 */
export function expandVariables(expr: string, values: Readonly<Record<string, string>>): string {
  const value = (name: string): string => {
    const found = values[name];
    if (found === undefined) throw new Error(`no value for the Grafana variable $${name} in ${expr}`);
    return found;
  };
  return expr
    .replace(/\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}/g, (_, name: string) => value(name))
    .replace(/\[\[([A-Za-z0-9_]+)\]\]/g, (_, name: string) => value(name))
    .replace(/\$([A-Za-z0-9_]+)/g, (_, name: string) => value(name));
}

/** The Prometheus query of a query variable, whether saved as a string or as the query editor's object. */
export function variableQuery(variable: DashboardVariable): string {
  if (typeof variable.query === 'string') return variable.query;
  const inner = (variable.query as { query?: unknown } | undefined)?.query;
  return typeof inner === 'string' ? inner : (variable.definition ?? '');
}
