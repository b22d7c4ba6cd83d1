// The rules a Hearth's PrometheusRule carries: PromQL restricted selector by selector, the rule
// file's shape checked, and deploy/monitoring/hearth-rules.yaml restricted to one Hearth run
// through the real promtool (Debian's prometheus package): it still passes `check rules`, the
// project's own rule tests still pass on it, and it computes and alerts on nothing of another Hearth.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parser, VectorSelector } from '@prometheus-io/lezer-promql';
import { parse, stringify } from 'yaml';
import { hearthMatchers, restrictExpression } from './observability-promql.ts';
import { restrictRuleGroups, ruleGroupsOf, type RuleGroup } from './observability-rules.ts';

const run = promisify(execFile);
const monitoringDir = path.resolve(import.meta.dirname, '..', '..', '..', 'deploy', 'monitoring');
const matchers = hearthMatchers('chat', 'acme');

/** promtool from PATH, else Debian's; the suite fails, naming the package, without it. */
async function promtool(): Promise<string> {
  for (const candidate of [...(process.env.PATH ?? '').split(':').map((dir) => path.join(dir, 'promtool')), '/usr/bin/promtool']) {
    if (
      await access(candidate).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new Error('promtool is not installed: apt-get install prometheus');
}

function restricted(expr: string): string {
  const result = restrictExpression(expr, matchers);
  assert.ok(result.ok, `${expr}: ${result.ok ? '' : result.message}`);
  return result.expr;
}

/** The text of every vector selector of `expr`, as Prometheus's grammar finds them. */
function selectorsOf(expr: string): string[] {
  const found: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.id !== VectorSelector) return undefined;
      found.push(expr.slice(node.from, node.to));
      return false;
    },
  });
  return found;
}

describe('restrictExpression', () => {
  const m = 'namespace="chat",hearth="acme"';
  const cases: [string, string][] = [
    ['up', `up{${m}}`],
    ['up == 0', `up{${m}} == 0`],
    ['up{}', `up{${m}}`],
    ['up{component!=""}', `up{${m},component!=""}`],
    ['up{job="x",}', `up{${m},job="x",}`],
    ['{__name__="up"}', `{${m},__name__="up"}`],
    ['rate(x_total[5m])', `rate(x_total{${m}}[5m])`],
    ['max_over_time(x[1h:5m] offset 1h)', `max_over_time(x{${m}}[1h:5m] offset 1h)`],
    ['sum without (instance) (x @ start())', `sum without (instance) (x{${m}} @ start())`],
    // Label names in by/on/group_left, function names, numbers, Inf and strings are not selectors.
    ['sum(rate(x[5m])) by (a) / on(a) group_left(b) y', `sum(rate(x{${m}}[5m])) by (a) / on(a) group_left(b) y{${m}}`],
    ['absent(up{job="x"}) or vector(0) + Inf', `absent(up{${m},job="x"}) or vector(0) + Inf`],
    ['label_replace(up, "a", "$1", "job", "(.*)")', `label_replace(up{${m}}, "a", "$1", "job", "(.*)")`],
    [
      'hearth:a:ratio_rate1h > (14.4 * 0.001) and hearth:a:ratio_rate5m > 0',
      `hearth:a:ratio_rate1h{${m}} > (14.4 * 0.001) and hearth:a:ratio_rate5m{${m}} > 0`,
    ],
    ['# a comment\nsum(x)', `# a comment\nsum(x{${m}})`],
    ['1 + 2', '1 + 2'],
  ];
  for (const [expr, want] of cases) it(JSON.stringify(expr), () => assert.equal(restricted(expr), want));

  it('refuses what does not parse, saying where', () => {
    for (const expr of ['sum(', 'up{', 'rate(x[5m]']) {
      const result = restrictExpression(expr, matchers);
      assert.ok(!result.ok, expr);
      assert.match(result.message, /^cannot parse PromQL at offset \d+/);
    }
  });

  it('quotes label values as PromQL strings', () => {
    assert.equal(hearthMatchers('a"b', 'c\\d'), 'namespace="a\\"b",hearth="c\\\\d"');
  });
});

describe('ruleGroupsOf', () => {
  it('takes a rule file’s groups, with only the fields the PrometheusRule CRD knows', () => {
    const document = parse(
      [
        'groups:',
        '  - name: g',
        '    interval: 1m',
        '    rules:',
        '      - record: r',
        '        expr: sum(x)',
        '      - alert: A',
        '        expr: 1',
        '        for: 5m',
        '        labels: { severity: page }',
        '        annotations: { summary: s }',
      ].join('\n'),
    ) as unknown;
    assert.deepEqual(ruleGroupsOf(document), {
      ok: true,
      value: [
        {
          name: 'g',
          interval: '1m',
          rules: [
            { record: 'r', expr: 'sum(x)' },
            { alert: 'A', expr: '1', for: '5m', labels: { severity: 'page' }, annotations: { summary: 's' } },
          ],
        },
      ],
    });
  });

  it('refuses what is not a rule file, saying what is wrong', () => {
    const cases: [unknown, RegExp][] = [
      [null, /no groups/],
      [{ groups: [] }, /no groups/],
      [{ groups: [{ rules: [] }] }, /group 0 /],
      [{ groups: [{ name: 'g', rules: [{ expr: 'x' }] }] }, /group 0 /],
      [{ groups: [{ name: 'g', rules: [{ record: 'r', alert: 'a', expr: 'x' }] }] }, /group 0 /],
      [{ groups: [{ name: 'g', rules: [{ alert: 'a', expr: 'x', labels: { n: 1 } }] }] }, /group 0 /],
      [{ groups: [{ name: 'g', rules: [{ alert: 'a', expr: 'x', annotations: ['s'] }] }] }, /group 0 /],
      [{ groups: [{ name: 'g', rules: [{ alert: 'a', expr: { x: 1 } }] }] }, /group 0 /],
      [{ groups: [{ name: 'g', rules: {} }] }, /group 0 /],
      [{ groups: ['g'] }, /group 0 /],
      [
        {
          groups: [
            { name: 'g', rules: [] },
            { name: 1, rules: [] },
          ],
        },
        /group 1 /,
      ],
    ];
    for (const [document, message] of cases) {
      const parsed = ruleGroupsOf(document);
      assert.ok(!parsed.ok, JSON.stringify(document));
      assert.match(parsed.message, message);
    }
  });
});

describe('deploy/monitoring/hearth-rules.yaml restricted to one Hearth', () => {
  let work: string;
  let binary: string;
  let original: RuleGroup[];
  let forAcme: RuleGroup[];
  /** The rule file as read, and so as restricted (another hand may be changing the file meanwhile). */
  let originalText: string;

  before(async () => {
    binary = await promtool();
    work = path.join(tmpdir(), `hearth-rules-${process.pid}`);
    await mkdir(path.join(work, 'tests'), { recursive: true });
    await mkdir(path.join(work, 'original', 'tests'), { recursive: true });
    originalText = await readFile(path.join(monitoringDir, 'hearth-rules.yaml'), 'utf8');
    await writeFile(path.join(work, 'original', 'hearth-rules.yaml'), originalText);
    const parsed = ruleGroupsOf(parse(originalText));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
    original = parsed.value;
    const restrictedGroups = restrictRuleGroups(original, 'chat', 'acme');
    assert.ok(restrictedGroups.ok, restrictedGroups.ok ? '' : restrictedGroups.message);
    forAcme = restrictedGroups.value;
    // Where the project's tests look for it (rule_files: ../hearth-rules.yaml).
    await writeFile(path.join(work, 'hearth-rules.yaml'), stringify({ groups: forAcme }, { lineWidth: 0 }));
  });
  after(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('restricts every selector of every rule, and nothing else', () => {
    let selectors = 0;
    for (const [groupIndex, group] of forAcme.entries()) {
      assert.equal(group.name, original[groupIndex]?.name);
      for (const [ruleIndex, rule] of group.rules.entries()) {
        const before = original[groupIndex]?.rules[ruleIndex];
        assert.deepEqual({ ...rule, expr: '' }, { ...before, expr: '' }, 'only the expression changes');
        const found = selectorsOf(rule.expr);
        assert.equal(found.length, selectorsOf(before?.expr ?? '').length, rule.expr);
        for (const selector of found) assert.ok(selector.includes(`{${matchers}`), `${rule.record ?? rule.alert ?? ''}: ${selector}`);
        selectors += found.length;
      }
    }
    assert.ok(selectors > 50, `${selectors} selectors`);
  });

  it('passes promtool check rules', async () => {
    const { stdout } = await run(binary, ['check', 'rules', path.join(work, 'hearth-rules.yaml')]);
    assert.match(stdout, /SUCCESS: \d+ rules found/);
  });

  it('passes or fails the project’s rule tests of that Hearth (deploy/monitoring/tests) exactly as the original does', async () => {
    const testsDir = path.join(monitoringDir, 'tests');
    const files = (await readdir(testsDir)).filter((name) => name.endsWith('.yaml'));
    const usable: string[] = [];
    for (const name of files) {
      const text = await readFile(path.join(testsDir, name), 'utf8');
      // Only a test of chat/acme's series alone: the restriction would rightly change one of several Hearths.
      const hearths = new Set([...text.matchAll(/hearth="([^"]*)"/g)].map((match) => match[1]));
      const namespaces = new Set([...text.matchAll(/namespace="([^"]*)"/g)].map((match) => match[1]));
      if ([...hearths].join() !== 'acme' || [...namespaces].join() !== 'chat') continue;
      usable.push(name);
    }
    assert.ok(usable.length > 0, `no test of chat/acme alone among ${files.join(', ')}`);
    const outcome = async (cwd: string): Promise<string> => {
      const args = ['test', 'rules', ...usable.map((name) => path.join('tests', name))];
      return run(binary, args, { cwd }).then(
        ({ stdout }) => `passed\n${stdout}`,
        (error: unknown) => `failed\n${String((error as { stderr?: unknown }).stderr)}`,
      );
    };
    for (const name of usable) {
      const text = await readFile(path.join(testsDir, name), 'utf8');
      await writeFile(path.join(work, 'tests', name), text);
      await writeFile(path.join(work, 'original', 'tests', name), text);
    }
    // The original and the restricted file, each with the tests beside it as in deploy/monitoring.
    const [restrictedOutcome, originalOutcome] = await Promise.all([outcome(work), outcome(path.join(work, 'original'))]);
    assert.equal(restrictedOutcome, originalOutcome);
  });

  it('records and alerts on nothing of another Hearth in the same namespace', async () => {
    const series = (hearth: string, extra: string): string =>
      `{namespace="chat", hearth="${hearth}", component="gateway", job="hearth", instance="${hearth}:8080"${extra}}`;
    const test = {
      rule_files: ['hearth-rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: `hearth_posts_total${series('acme', ', outcome="acknowledged"')}`, values: '0+100x60' },
            { series: `hearth_posts_total${series('acme', ', outcome="failed"')}`, values: '0+1x60' },
            { series: `hearth_posts_total${series('globex', ', outcome="acknowledged"')}`, values: '0+100x60' },
            { series: `hearth_posts_total${series('globex', ', outcome="failed"')}`, values: '0+50x60' },
            { series: `up${series('acme', '')}`, values: '1x60' },
            { series: `up${series('globex', '')}`, values: '0x60' },
          ],
          promql_expr_test: [
            {
              expr: 'hearth:sli_post_errors:ratio_rate5m',
              eval_time: '30m',
              exp_samples: [{ labels: 'hearth:sli_post_errors:ratio_rate5m{namespace="chat", hearth="acme"}', value: 1 / 101 }],
            },
          ],
          // globex has been down for an hour; these rules are acme's.
          alert_rule_test: [{ alertname: 'HearthComponentDown', eval_time: '30m', exp_alerts: [] }],
        },
      ],
    };
    await writeFile(path.join(work, 'two-hearths.yaml'), stringify(test));
    const { stdout } = await run(binary, ['test', 'rules', 'two-hearths.yaml'], { cwd: work });
    assert.match(stdout, /SUCCESS/);
    // And the same series do fire it for globex under globex's own rules: the test above could fail.
    const forGlobex = restrictRuleGroups(original, 'chat', 'globex');
    assert.ok(forGlobex.ok);
    await writeFile(path.join(work, 'hearth-rules.yaml'), stringify({ groups: forGlobex.value }, { lineWidth: 0 }));
    const failed = await run(binary, ['test', 'rules', 'two-hearths.yaml'], { cwd: work }).then(
      () => undefined,
      (error: unknown) => error as { stderr?: string },
    );
    await writeFile(path.join(work, 'hearth-rules.yaml'), stringify({ groups: forAcme }, { lineWidth: 0 }));
    assert.match(failed?.stderr ?? '', /alertname: HearthComponentDown/);
    assert.match(failed?.stderr ?? '', /hearth:sli_post_errors:ratio_rate5m/);
  });
});
