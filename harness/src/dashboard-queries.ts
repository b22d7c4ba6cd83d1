import { expandVariables, type PanelQuery } from './grafana-dashboard.ts';
import type { Prometheus } from './prometheus.ts';
import { selectorsIn } from './promql.ts';

/**
 * What is wrong with one dashboard query against a running Prometheus: an error, no data, or a
 * metric Prometheus has never seen (`known`: its metric names). Empty when the query is good.
 */
export async function dashboardQueryProblems(
  prometheus: Prometheus,
  query: PanelQuery,
  variables: Readonly<Record<string, string>>,
  known: ReadonlySet<string>,
): Promise<string[]> {
  const where = `${query.row} / ${query.panel} [${query.refId}]`;
  const expr = expandVariables(query.expr, variables);
  const unknown = selectorsIn(expr)
    .map((selector) => selector.metric)
    .filter((metric) => !known.has(metric));
  if (unknown.length > 0) return [`${where}: unknown metric ${unknown.join(', ')}`];
  try {
    const result = await prometheus.query(expr);
    const empty = result.resultType === 'vector' || result.resultType === 'matrix' ? result.result.length === 0 : false;
    return empty ? [`${where}: no data: ${expr}`] : [];
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
}
