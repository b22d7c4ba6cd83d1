/**
 * Just enough of PromQL's lexical structure to tell which names in an expression are metrics
 * (or recording rules), and which range windows it uses: what the dashboard and rule checks need
 * to hold expressions to the metric catalogue. Label names inside {} and by/without/on/ignoring/
 * group_left/group_right (…), function names, keywords, strings, numbers and durations are not
 * metrics. Grafana's variables ($__rate_interval, ${datasource}, $hearth) are read as opaque tokens.
 */

export type PromqlToken =
  | { readonly kind: 'identifier'; readonly text: string }
  | { readonly kind: 'string'; readonly text: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'variable'; readonly text: string }
  | { readonly kind: 'punctuation'; readonly text: string };

const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'atan2', 'inf', 'nan']);
/** Modifiers whose parenthesised list holds label names. */
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

const TOKEN_PATTERNS: readonly (readonly [PromqlToken['kind'] | 'space', RegExp])[] = [
  ['space', /^\s+/],
  ['string', /^"(?:[^"\\]|\\.)*"|^'(?:[^'\\]|\\.)*'|^`[^`]*`/],
  ['variable', /^\$\{[^}]*\}|^\$[A-Za-z_][A-Za-z0-9_]*|^\[\[[^\]]*\]\]/],
  // Numbers and durations (5m, 1h30m, 0.99, 1e3, 0x1f) in one token: neither is a name.
  ['number', /^[0-9][0-9A-Za-z_.]*(?:[eE][+-]?[0-9]+)?/],
  ['identifier', /^[A-Za-z_:][A-Za-z0-9_:]*/],
  ['punctuation', /^(?:==|!=|=~|!~|<=|>=|[-+*/%^<>=(){}[\],@:])/],
];

/** Splits an expression into tokens; throws on a character PromQL has no use for. */
export function tokenizePromql(expr: string): PromqlToken[] {
  const tokens: PromqlToken[] = [];
  let rest = expr;
  while (rest.length > 0) {
    const match = TOKEN_PATTERNS.map(([kind, pattern]) => [kind, pattern.exec(rest)?.[0]] as const).find(([, text]) => text !== undefined);
    if (match === undefined || match[1] === undefined) throw new Error(`cannot read PromQL at "${rest.slice(0, 30)}" in ${expr}`);
    const [kind, text] = match;
    if (kind !== 'space') tokens.push({ kind, text } as PromqlToken);
    rest = rest.slice(text.length);
  }
  return tokens;
}

/** The index just past the bracket that closes the one at `open`. */
function closing(tokens: readonly PromqlToken[], open: number, left: string, right: string): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i += 1) {
    const text = tokens[i]?.kind === 'punctuation' ? tokens[i]?.text : undefined;
    if (text === left) depth += 1;
    else if (text === right && --depth === 0) return i + 1;
  }
  return tokens.length;
}

const isPunctuation = (token: PromqlToken | undefined, text: string): boolean => token?.kind === 'punctuation' && token.text === text;

/** How many tokens from `i` are not a metric name (a label list, a matcher, a range), or 0 to look at token i itself. */
function skippable(tokens: readonly PromqlToken[], i: number): number {
  const token = tokens[i];
  if (isPunctuation(token, '{')) return closing(tokens, i, '{', '}') - i;
  if (isPunctuation(token, '[')) return closing(tokens, i, '[', ']') - i;
  if (token?.kind === 'identifier' && LABEL_LISTS.has(token.text.toLowerCase()) && isPunctuation(tokens[i + 1], '(')) {
    return closing(tokens, i + 1, '(', ')') - i;
  }
  return 0;
}

function isMetricName(tokens: readonly PromqlToken[], i: number): boolean {
  const token = tokens[i];
  if (token?.kind !== 'identifier') return false;
  const lower = token.text.toLowerCase();
  if (KEYWORDS.has(lower) || AGGREGATIONS.has(lower)) return false;
  return !isPunctuation(tokens[i + 1], '('); // a function call
}

export interface LabelMatcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  /** The value as written, quotes removed (escapes kept). */
  readonly value: string;
}

/** A vector selector: a metric name and its label matchers. */
export interface Selector {
  readonly metric: string;
  readonly matchers: readonly LabelMatcher[];
}

/** The matchers of the {…} at `open`, e.g. {namespace="$namespace", le="0.3"}. */
function matchersAt(tokens: readonly PromqlToken[], open: number): LabelMatcher[] {
  const matchers: LabelMatcher[] = [];
  const end = closing(tokens, open, '{', '}');
  for (let i = open + 1; i + 2 < end; i += 1) {
    const matcher = matcherAt(tokens, i);
    if (matcher === undefined) continue;
    matchers.push(matcher);
    i += 2;
  }
  return matchers;
}

const MATCH_OPS: ReadonlySet<string> = new Set<LabelMatcher['op']>(['=', '!=', '=~', '!~']);

function isMatchOp(text: string): text is LabelMatcher['op'] {
  return MATCH_OPS.has(text);
}

/** The matcher whose three tokens (label, operator, quoted value) start at `i`, if they make one. */
function matcherAt(tokens: readonly PromqlToken[], i: number): LabelMatcher | undefined {
  const [label, op, value] = [tokens[i], tokens[i + 1], tokens[i + 2]];
  if (label?.kind !== 'identifier' || op?.kind !== 'punctuation' || value?.kind !== 'string') return undefined;
  return isMatchOp(op.text) ? { label: label.text, op: op.text, value: value.text.slice(1, -1) } : undefined;
}

/** Every vector selector with a metric name (or recording rule name), in order of appearance. */
export function selectorsIn(expr: string): Selector[] {
  const tokens = tokenizePromql(expr);
  const selectors: Selector[] = [];
  for (let i = 0; i < tokens.length;) {
    const skip = skippable(tokens, i);
    if (skip > 0) {
      i += skip;
      continue;
    }
    const token = tokens[i];
    if (token !== undefined && isMetricName(tokens, i)) {
      selectors.push({ metric: token.text, matchers: isPunctuation(tokens[i + 1], '{') ? matchersAt(tokens, i + 1) : [] });
    }
    i += 1;
  }
  return selectors;
}

/** The metric (and recording rule) names an expression selects, each once, in order of appearance. */
export function metricNamesIn(expr: string): string[] {
  return [...new Set(selectorsIn(expr).map((selector) => selector.metric))];
}

/** The text inside each range or subquery bracket, e.g. ['5m', '$__rate_interval', '1h:1m']. */
export function rangesIn(expr: string): string[] {
  const tokens = tokenizePromql(expr);
  const ranges: string[] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    if (!isPunctuation(tokens[i], '[')) continue;
    const end = closing(tokens, i, '[', ']');
    ranges.push(
      tokens
        .slice(i + 1, end - 1)
        .map((token) => token.text)
        .join(''),
    );
    i = end - 1;
  }
  return ranges;
}
