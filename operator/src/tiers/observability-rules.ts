// The project's alert and recording rules (deploy/monitoring/hearth-rules.yaml, a Prometheus rule
// file: `groups:`) read into the groups of a PrometheusRule, every expression restricted to one
// Hearth (observability-promql.ts). Pure: the reconcile reads the file, this checks its shape.
import { hearthMatchers, restrictExpression } from './observability-promql.ts';

/** A rule as Prometheus's rule file and the PrometheusRule CRD both write it. */
export interface MonitoringRule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly keep_firing_for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly MonitoringRule[];
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((item) => typeof item === 'string');
}

/** Prometheus takes a number as an expression (`expr: 1`); the CRD takes it as int-or-string. */
function expressionOf(expr: unknown): string | undefined {
  if (typeof expr === 'number') return String(expr);
  return typeof expr === 'string' ? expr : undefined;
}

/** A rule records or alerts: exactly one of the two names it. */
function isRecordOrAlert({ record, alert }: Record<string, unknown>): boolean {
  return (typeof record === 'string') !== (typeof alert === 'string');
}

function isOptionalStringMap(value: unknown): boolean {
  return value === undefined || isStringMap(value);
}

/** The fields of a rule the CRD knows, each of its type; undefined when the rule is not one. */
function ruleOf(value: unknown): MonitoringRule | undefined {
  if (!isRecord(value)) return undefined;
  const expression = expressionOf(value.expr);
  if (expression === undefined || !isRecordOrAlert(value) || !isOptionalStringMap(value.labels) || !isOptionalStringMap(value.annotations)) return undefined;
  const rule: Record<string, unknown> = { expr: expression };
  for (const key of ['record', 'alert', 'for', 'keep_firing_for', 'labels', 'annotations'] as const) {
    const field = value[key];
    if (field !== undefined && field !== null) rule[key] = field;
  }
  return rule as unknown as MonitoringRule;
}

/** A group of a rule file (a name, and rules each a rule), or undefined when it is not one. */
function ruleGroupOf(group: unknown): RuleGroup | undefined {
  if (!isRecord(group) || typeof group.name !== 'string' || !Array.isArray(group.rules)) return undefined;
  const rules = group.rules.map(ruleOf);
  if (!rules.every((rule): rule is MonitoringRule => rule !== undefined)) return undefined;
  const interval = typeof group.interval === 'string' ? { interval: group.interval } : {};
  return { name: group.name, ...interval, rules };
}

/** The `groups:` of a rule file, or why they are not a rule file's. */
export function ruleGroupsOf(document: unknown): Parsed<RuleGroup[]> {
  const groups = isRecord(document) ? document.groups : undefined;
  if (!Array.isArray(groups) || groups.length === 0) return { ok: false, message: 'the rule file has no groups: list' };
  const parsed: RuleGroup[] = [];
  for (const [index, group] of groups.entries()) {
    const ruleGroup = ruleGroupOf(group);
    if (ruleGroup === undefined) {
      return { ok: false, message: `group ${index} of the rule file is not a rule group (name, and rules each with expr and record or alert)` };
    }
    parsed.push(ruleGroup);
  }
  return { ok: true, value: parsed };
}

/** The groups with every expression restricted to the Hearth `name` in `namespace`. */
export function restrictRuleGroups(groups: readonly RuleGroup[], namespace: string, name: string): Parsed<RuleGroup[]> {
  const matchers = hearthMatchers(namespace, name);
  const restricted: RuleGroup[] = [];
  for (const group of groups) {
    const rules: MonitoringRule[] = [];
    for (const rule of group.rules) {
      const result = restrictExpression(rule.expr, matchers);
      if (!result.ok) return { ok: false, message: `${group.name}/${rule.record ?? rule.alert ?? ''}: ${result.message}` };
      rules.push({ ...rule, expr: result.expr });
    }
    restricted.push({ ...group, rules });
  }
  return { ok: true, value: restricted };
}
