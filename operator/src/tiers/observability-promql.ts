// Restricting a PromQL expression to one Hearth: every series it selects gets the label matchers
// namespace="<ns>" and hearth="<name>". The project's rules (deploy/monitoring/hearth-rules.yaml)
// aggregate by (namespace, hearth) over every Hearth a Prometheus scrapes; a PrometheusRule per Hearth
// must compute that Hearth's series alone, or two Hearths with prometheusRule: true would each
// record, and alert on, the other's series too (the same series written by two rule groups).
//
// Parsed with Prometheus's own grammar (lezer-promql, the one its web UI uses), so only real
// selectors are touched: not a label name in `by (...)`, a function name, a string or `Inf`.
import { LabelMatchers, parser, VectorSelector } from '@prometheus-io/lezer-promql';

export interface PromqlError {
  readonly ok: false;
  /** Where the expression stops parsing, for a person to find. */
  readonly message: string;
}

/** A PromQL string literal: Go's strconv.Quote-compatible for the label values Kubernetes allows. */
function quoted(value: string): string {
  return JSON.stringify(value);
}

/** `namespace="ns",hearth="name"`: the matchers every selector of the Hearth's rules gets. */
export function hearthMatchers(namespace: string, hearth: string): string {
  return `namespace=${quoted(namespace)},hearth=${quoted(hearth)}`;
}

interface Insertion {
  readonly at: number;
  readonly text: string;
}

/** A selector's node as far as it is read here (lezer's SyntaxNode). */
interface SelectorNode {
  readonly to: number;
  getChild(type: number): { readonly from: number; readonly to: number } | null;
}

function insertionFor(selector: SelectorNode, source: string, matchers: string): Insertion {
  const braces = selector.getChild(LabelMatchers);
  if (braces === null) return { at: selector.to, text: `{${matchers}}` };
  // Right after `{`; a comma only when other matchers follow.
  const after = source.slice(braces.from + 1, braces.to - 1).trim();
  return { at: braces.from + 1, text: after === '' ? matchers : `${matchers},` };
}

function firstError(source: string): string | undefined {
  let error: string | undefined;
  parser.parse(source).iterate({
    enter: (node) => {
      if (error !== undefined) return false;
      if (node.type.isError) error = `cannot parse PromQL at offset ${node.from}: ${JSON.stringify(source.slice(Math.max(0, node.from - 20), node.from + 20))}`;
      return undefined;
    },
  });
  return error;
}

/**
 * `expr` with `matchers` (hearthMatchers) added to each of its vector selectors, bare or inside a
 * range, subquery, offset or function; everything else byte for byte as it was.
 */
export function restrictExpression(expr: string, matchers: string): { readonly ok: true; readonly expr: string } | PromqlError {
  const error = firstError(expr);
  if (error !== undefined) return { ok: false, message: error };
  const insertions: Insertion[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.id !== VectorSelector) return undefined;
      insertions.push(insertionFor(node.node, expr, matchers));
      return false;
    },
  });
  // From the end, so that each offset still points where it did in the original.
  let restricted = expr;
  for (const { at, text } of insertions.sort((a, b) => b.at - a.at)) restricted = restricted.slice(0, at) + text + restricted.slice(at);
  return { ok: true, expr: restricted };
}
