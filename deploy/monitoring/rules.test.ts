// Hearth's alert rules: promtool checks both rule files and runs every unit test in tests/, and this
// file checks what promtool cannot: every alert carries a severity of the scheme in
// docs/runbooks/README.md, a summary, a description and a runbook that exists, and has a unit test
// showing it silent before its `for:` and firing after. promtool is Debian's (scripts/test-deps.sh).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

const monitoringDir = import.meta.dirname;
const testsDir = path.join(monitoringDir, 'tests');
const repoRoot = path.resolve(monitoringDir, '..', '..');
const runbooksDir = path.join(repoRoot, 'docs', 'runbooks');
const ruleFileNames = ['hearth-rules.yaml', 'hearth-operator-rules.yaml'] as const;

/** page and ticket are for SLO burn rates (symptoms), warning and critical for causes. */
const sloSeverities: ReadonlySet<string> = new Set(['page', 'ticket']);
const causeSeverities: ReadonlySet<string> = new Set(['warning', 'critical']);

type YamlMap = Readonly<Record<string, unknown>>;

interface AlertRule {
  readonly file: string;
  readonly alert: string;
  readonly expr: string;
  readonly for: string | undefined;
  readonly labels: YamlMap;
  readonly annotations: YamlMap;
}

/** One alert_rule_test entry: at `at` (ms from the test's start), the severities firing. */
interface AlertCheck {
  readonly at: number;
  readonly firing: readonly string[];
}

interface AlertTests {
  readonly file: string;
  readonly ruleFiles: readonly string[];
  /** Per test case, per alert name, its checks. */
  readonly cases: readonly ReadonlyMap<string, readonly AlertCheck[]>[];
}

function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const durationUnits: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** A Prometheus duration ("3d14h25m") in milliseconds. */
function durationMs(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  assert.equal(parts.map((part) => part[0]).join(''), duration, `not a Prometheus duration: ${duration}`);
  return parts.reduce((total, [, count, unit]) => total + Number(count) * (durationUnits[unit ?? ''] ?? 0), 0);
}

/** HearthOperatorNoLeader -> hearth-operator-no-leader: the runbook's file name. */
function kebab(alertName: string): string {
  return alertName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function alertRules(file: string, source: string): AlertRule[] {
  const document: unknown = parse(source);
  assert.ok(isMap(document), `${file}: not a rule file`);
  return list(document.groups).flatMap((group) =>
    list(isMap(group) ? group.rules : undefined).flatMap((rule): AlertRule[] => {
      if (!isMap(rule) || text(rule.alert) === undefined) return [];
      return [
        {
          file,
          alert: text(rule.alert) ?? '',
          expr: text(rule.expr) ?? '',
          for: text(rule.for),
          labels: isMap(rule.labels) ? rule.labels : {},
          annotations: isMap(rule.annotations) ? rule.annotations : {},
        },
      ];
    }),
  );
}

function alertChecks(testCase: YamlMap): Map<string, AlertCheck[]> {
  const byAlert = new Map<string, AlertCheck[]>();
  for (const entry of list(testCase.alert_rule_test)) {
    if (!isMap(entry)) continue;
    const name = text(entry.alertname) ?? '';
    const firing = list(entry.exp_alerts).map((expected) => {
      const labels = isMap(expected) && isMap(expected.exp_labels) ? expected.exp_labels : {};
      return text(labels.severity) ?? '';
    });
    byAlert.set(name, [...(byAlert.get(name) ?? []), { at: durationMs(text(entry.eval_time) ?? ''), firing }]);
  }
  return byAlert;
}

function alertTests(file: string, source: string): AlertTests {
  const document: unknown = parse(source);
  assert.ok(isMap(document), `${file}: not a promtool test file`);
  return {
    file,
    ruleFiles: list(document.rule_files).map((ruleFile) => path.basename(text(ruleFile) ?? '')),
    cases: list(document.tests).filter(isMap).map(alertChecks),
  };
}

/** Whether some case shows `severity` of `alert` not firing at one time and firing at a later one. */
function showsSilenceThenFiring(tests: readonly AlertTests[], rule: AlertRule): boolean {
  const severity = text(rule.labels.severity);
  return tests.some(
    (testFile) =>
      testFile.ruleFiles.includes(rule.file) &&
      testFile.cases.some((testCase) => {
        const checks = testCase.get(rule.alert) ?? [];
        const firingAt = checks.filter((check) => check.firing.includes(severity ?? '')).map((check) => check.at);
        return checks.some((check) => !check.firing.includes(severity ?? '') && firingAt.some((at) => at > check.at));
      }),
  );
}

interface Outcome {
  readonly ok: boolean;
  readonly output: string;
}

/** Runs promtool to completion; a non-zero exit is an outcome, not an exception. */
function promtool(args: readonly string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd: monitoringDir, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error("promtool is not installed: run scripts/test-deps.sh (Debian's prometheus package)"));
        return;
      }
      resolve({ ok: error === null, output: `${stdout}${stderr}` });
    });
  });
}

const rules = (await Promise.all(ruleFileNames.map(async (name) => alertRules(name, await readFile(path.join(monitoringDir, name), 'utf8'))))).flat();
const testFileNames = (await readdir(testsDir)).filter((name) => name.endsWith('.yaml')).sort();
const tests = await Promise.all(testFileNames.map(async (name) => alertTests(name, await readFile(path.join(testsDir, name), 'utf8'))));
const chart: unknown = parse(await readFile(path.join(repoRoot, 'charts', 'hearth-operator', 'Chart.yaml'), 'utf8'));
const home = isMap(chart) ? text(chart.home) : undefined;

describe('promtool', () => {
  for (const name of ruleFileNames) {
    it(`checks ${name}`, async () => {
      const { ok, output } = await promtool(['check', 'rules', name]);
      assert.ok(ok, `promtool check rules ${name} failed:\n${output}`);
    });
  }
  for (const name of testFileNames) {
    it(`passes the unit tests in tests/${name}`, async () => {
      const { ok, output } = await promtool(['test', 'rules', path.join('tests', name)]);
      assert.ok(ok, `promtool test rules tests/${name} failed:\n${output}`);
    });
  }
});

describe('every alert', () => {
  it('is found: both files have alerts and the tests load only these rule files', () => {
    for (const name of ruleFileNames)
      assert.ok(
        rules.some((rule) => rule.file === name),
        `${name} has no alerts`,
      );
    assert.ok(tests.length > 0, 'no promtool tests in tests/');
    for (const { file, ruleFiles } of tests) {
      assert.ok(ruleFiles.length > 0, `tests/${file} loads no rule file`);
      for (const ruleFile of ruleFiles)
        assert.ok(
          ruleFileNames.some((name) => name === ruleFile),
          `tests/${file} loads ${ruleFile}`,
        );
    }
  });

  it('has a severity of the scheme: page or ticket on an SLO burn rate, warning or critical on a cause', () => {
    for (const rule of rules) {
      const severity = text(rule.labels.severity) ?? '(none)';
      const onSlo = rule.expr.includes('hearth:sli_');
      const allowed = onSlo ? sloSeverities : causeSeverities;
      assert.ok(
        allowed.has(severity),
        `${rule.alert} (${rule.file}) has severity ${severity}; ${onSlo ? 'an SLO alert' : 'a cause alert'} takes ${[...allowed].join(' or ')}`,
      );
    }
  });

  it('has a summary, a description and a `for:`', () => {
    for (const rule of rules) {
      for (const key of ['summary', 'description']) {
        assert.ok((text(rule.annotations[key]) ?? '').trim() !== '', `${rule.alert} (${text(rule.labels.severity)}) has no ${key}`);
      }
      assert.ok(rule.for !== undefined && durationMs(rule.for) > 0, `${rule.alert} (${text(rule.labels.severity)}) has no for:`);
    }
  });

  it("has a runbook_url to its runbook in the project's repository, and the runbook exists", async () => {
    assert.ok(home !== undefined, 'charts/hearth-operator/Chart.yaml has no home');
    for (const rule of rules) {
      const file = `${kebab(rule.alert)}.md`;
      assert.equal(rule.annotations.runbook_url, `${home}/blob/main/docs/runbooks/${file}`, `${rule.alert}'s runbook_url`);
      await access(path.join(runbooksDir, file)).catch(() => assert.fail(`${rule.alert}: docs/runbooks/${file} does not exist`));
    }
  });

  it('has a promtool test that shows it silent before its for: and firing after', () => {
    for (const rule of rules) {
      const severity = text(rule.labels.severity);
      assert.ok(
        showsSilenceThenFiring(tests, rule),
        `no test in tests/ expects ${rule.alert} (severity ${severity}) silent at one eval_time and firing at a later one`,
      );
    }
  });
});

describe('docs/runbooks', () => {
  it('has a runbook only for alerts that exist, each listed in its README', async () => {
    const readme = await readFile(path.join(runbooksDir, 'README.md'), 'utf8');
    const expected = new Set(rules.map((rule) => `${kebab(rule.alert)}.md`));
    const runbooks = (await readdir(runbooksDir)).filter((name) => name.endsWith('.md') && name !== 'README.md');
    for (const runbook of runbooks) assert.ok(expected.has(runbook), `docs/runbooks/${runbook} is for no alert`);
    for (const runbook of expected) assert.ok(readme.includes(`(${runbook})`), `docs/runbooks/README.md does not link ${runbook}`);
  });
});

describe('the checks themselves', () => {
  it('read durations and alert names as Prometheus and the runbooks spell them', () => {
    assert.equal(durationMs('3d14h25m'), ((3 * 24 + 14) * 60 + 25) * 60_000);
    assert.equal(durationMs('90s'), 90_000);
    assert.throws(() => durationMs('5 minutes'));
    assert.equal(kebab('HearthOperatorNoLeader'), 'hearth-operator-no-leader');
    assert.equal(kebab('HearthJetstreamStorageFilling'), 'hearth-jetstream-storage-filling');
  });

  it('do not take a firing-only test, or a test of another severity, for silence then firing', () => {
    const rule: AlertRule = { file: 'hearth-rules.yaml', alert: 'HearthX', expr: 'up == 0', for: '5m', labels: { severity: 'critical' }, annotations: {} };
    const testFile = (checks: AlertCheck[]): AlertTests => ({ file: 't.yaml', ruleFiles: ['hearth-rules.yaml'], cases: [new Map([['HearthX', checks]])] });
    const silentThenFiring: AlertCheck[] = [
      { at: 0, firing: [] },
      { at: 60_000, firing: ['critical'] },
    ];
    const cases: { why: string; tests: AlertTests; shows: boolean }[] = [
      { why: 'firing only', tests: testFile([{ at: 0, firing: ['critical'] }]), shows: false },
      {
        why: 'firing before silent',
        tests: testFile([
          { at: 60_000, firing: [] },
          { at: 0, firing: ['critical'] },
        ]),
        shows: false,
      },
      {
        why: 'another severity',
        tests: testFile([
          { at: 0, firing: [] },
          { at: 60_000, firing: ['warning'] },
        ]),
        shows: false,
      },
      { why: "another file's rules", tests: { ...testFile(silentThenFiring), ruleFiles: ['other.yaml'] }, shows: false },
      { why: 'silent, then firing', tests: testFile(silentThenFiring), shows: true },
    ];
    for (const { why, tests, shows } of cases) assert.equal(showsSilenceThenFiring([tests], rule), shows, why);
  });
});
