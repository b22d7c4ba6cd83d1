// The hearth-operator chart: helm lint with its values schema, the CRD it installs identical to the
// generated one, least-privilege RBAC, and its rendered manifests accepted by a real kube-apiserver
// (server-side dry run, then applied, with the ServiceAccount's permissions checked by impersonation).
// helm comes from scripts/build-helm.sh (`make helm-bin`), kube-apiserver and kubectl from `make kube-bins`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { helmBinary, kubeBinaries, startControlPlane, thirdPartyCrd, type ControlPlane } from '../../harness/src/index.ts';
import { defaultBackendImages } from '../../operator/src/api/index.ts';
import { loadConfig } from '../../operator/src/config.ts';
import { operatorEntryPoint, operatorNodeFlags } from '../../operator/src/node-flags.ts';

const chartDir = import.meta.dirname;
const repoRoot = path.resolve(chartDir, '..', '..');
const releaseNamespace = 'hearth-system';

const helm = await helmBinary();
const binaries = await kubeBinaries();
if (binaries === null) throw new Error('kube-apiserver and kubectl are not built: run `make kube-bins`');

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion, optionally feeding stdin; never throws on a non-zero exit. */
function exec(file: string, args: readonly string[], input?: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

async function mustExec(file: string, args: readonly string[], input?: string): Promise<string> {
  const outcome = await exec(file, args, input);
  assert.equal(outcome.code, 0, `${path.basename(file)} ${args.join(' ')} failed:\n${outcome.stderr}${outcome.stdout}`);
  return outcome.stdout;
}

/** `helm template` of the chart as release `hearth-operator` in hearth-system, with --set overrides. */
function template(...sets: string[]): Promise<string> {
  return templateRelease('hearth-operator', ...sets);
}

/** The same, as another release: its objects (and ServiceAccount) are named `<release>-hearth-operator`. */
function templateRelease(release: string, ...sets: string[]): Promise<string> {
  return mustExec(helm, ['template', release, chartDir, '--namespace', releaseNamespace, ...sets.flatMap((set) => ['--set', set])]);
}

/** Two namespaces, as `--set` writes a list. */
const teams = 'watchNamespaces={team-a,team-b}';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
  spec?: Record<string, unknown>;
}

function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

function find(manifests: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.find((manifest) => manifest.kind === kind && (name === undefined || manifest.metadata.name === name));
  assert.ok(found, `no ${kind}${name === undefined ? '' : ` ${name}`} among ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
  return found;
}

/** The verbs each resource (group/resource) is granted by a role's rules. */
function grants(rules: readonly Rule[]): Map<string, Set<string>> {
  const granted = new Map<string, Set<string>>();
  for (const rule of rules) {
    for (const key of resourcesOf(rule)) {
      const verbs = granted.get(key) ?? new Set<string>();
      for (const verb of rule.verbs) verbs.add(verb);
      granted.set(key, verbs);
    }
  }
  return granted;
}

/** Each group/resource a rule names, the core group as `core`. */
function resourcesOf(rule: Rule): string[] {
  return (rule.apiGroups ?? []).flatMap((group) => (rule.resources ?? []).map((resource) => `${group === '' ? 'core' : group}/${resource}`));
}

// operator/src/reconcile writes with server-side apply and merge patches, never PUT: no update.
const owned = ['get', 'list', 'watch', 'create', 'patch', 'delete'];
/**
 * Exactly what the operator needs (operator/src/reconcile and controller): any change here is a
 * decision. It never GETs a Hearth or its status: reconciles read the informer's cache.
 */
const expectedGrants: Record<string, readonly string[]> = {
  'hearth.dev/hearths': ['list', 'watch', 'patch', 'create'],
  'hearth.dev/hearths/status': ['patch'],
  'hearth.dev/hearths/finalizers': ['update'],
  'apps/statefulsets': owned,
  'apps/deployments': owned,
  'core/services': owned,
  'core/secrets': owned,
  'networking.k8s.io/ingresses': owned,
  'networking.k8s.io/networkpolicies': owned,
  'autoscaling/horizontalpodautoscalers': owned,
  'policy/poddisruptionbudgets': owned,
  // CloudNativePG's Cluster: not watched (its CRD may not be there), so no watch.
  'postgresql.cnpg.io/clusters': ['get', 'list', 'create', 'patch', 'delete'],
  'core/persistentvolumeclaims': ['get', 'list', 'patch', 'delete'],
  'core/events': ['create', 'patch'],
  // A tier migration: its copy Job (watched, by label; never patched), its pods' termination messages and logs.
  'batch/jobs': ['get', 'list', 'watch', 'create', 'delete'],
  'core/pods': ['list'],
  'core/pods/log': ['get'],
  // spec.observability: the dashboard's ConfigMap (watched, by label), and the Prometheus Operator's
  // kinds (not watched: their CRDs may not be there).
  'core/configmaps': owned,
  'monitoring.coreos.com/servicemonitors': ['get', 'list', 'create', 'patch', 'delete'],
  'monitoring.coreos.com/podmonitors': ['get', 'list', 'create', 'patch', 'delete'],
  'monitoring.coreos.com/prometheusrules': ['get', 'list', 'create', 'patch', 'delete'],
  // HearthBackups (watched, status patched; their Jobs and pods are the migration's grants above) and
  // spec.backup's CronJob (watched by label, applied, deleted).
  'hearth.dev/hearthbackups': ['get', 'list', 'watch'],
  'hearth.dev/hearthbackups/status': ['patch'],
  // HearthRestores (watched, status patched), the HearthBackup they name (get) and the Hearth they create.
  'hearth.dev/hearthrestores': ['list', 'watch'],
  'hearth.dev/hearthrestores/status': ['patch'],
  'batch/cronjobs': owned,
  // A HearthRestore with includeSecrets: its own ServiceAccount, Role (create secrets) and RoleBinding, created and deleted.
  'core/serviceaccounts': ['create', 'delete'],
  'rbac.authorization.k8s.io/roles': ['create', 'delete'],
  'rbac.authorization.k8s.io/rolebindings': ['create', 'delete'],
};

/** The values that turn on everything the chart installs for monitoring the operator. */
const monitoringOn = ['metrics.serviceMonitor.enabled=true', 'monitoring.prometheusRule.enabled=true', 'monitoring.dashboard.enabled=true'];

function assertNoWildcards(manifest: Manifest): void {
  for (const rule of manifest.rules ?? []) {
    const fields = [rule.apiGroups, rule.resources, rule.verbs, rule.resourceNames, rule.nonResourceURLs];
    for (const values of fields) {
      for (const value of values ?? []) assert.ok(!value.includes('*'), `${manifest.kind} ${manifest.metadata.name} has a wildcard: ${JSON.stringify(rule)}`);
    }
    assert.equal(rule.nonResourceURLs, undefined, `${manifest.kind} ${manifest.metadata.name} grants non-resource URLs`);
  }
}

function sorted(grantMap: Map<string, Set<string>>): Record<string, string[]> {
  return Object.fromEntries([...grantMap].map(([key, verbs]) => [key, [...verbs].sort()]).sort(([a], [b]) => String(a).localeCompare(String(b))));
}

function sortedExpected(): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(expectedGrants)
      .map(([key, verbs]): [string, string[]] => [key, [...verbs].sort()])
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

describe('the hearth-operator chart', () => {
  it('installs the CRD that operator/src/api generates, byte for byte', async () => {
    const generated = await readFile(path.join(repoRoot, 'crds', 'hearth.dev_hearths.yaml'), 'utf8');
    const inChart = await readFile(path.join(chartDir, 'crds', 'hearth.dev_hearths.yaml'), 'utf8');
    assert.ok(inChart === generated, 'charts/hearth-operator/crds/hearth.dev_hearths.yaml differs from crds/hearth.dev_hearths.yaml: run `make crds`');
  });

  it('carries the files of deploy/monitoring it installs, byte for byte', async () => {
    for (const name of ['hearth-operator-rules.yaml', 'hearth-dashboard.json']) {
      const original = await readFile(path.join(repoRoot, 'deploy', 'monitoring', name), 'utf8');
      const inChart = await readFile(path.join(chartDir, 'files', name), 'utf8');
      assert.ok(inChart === original, `charts/hearth-operator/files/${name} differs from deploy/monitoring/${name}: run \`make crds\``);
    }
  });

  it('installs the operator’s PrometheusRule and dashboard from those files only when asked', async () => {
    const none = parseManifests(await template());
    assert.deepEqual(
      none
        .filter((manifest) => manifest.kind === 'PrometheusRule' || manifest.kind === 'ConfigMap' || manifest.kind === 'ServiceMonitor')
        .map((manifest) => manifest.kind),
      [],
    );
    const manifests = parseManifests(
      await template(
        ...monitoringOn,
        'monitoring.prometheusRule.labels.release=kps',
        'monitoring.dashboard.namespace=grafana',
        'monitoring.dashboard.annotations.grafana_folder=Hearth',
      ),
    );
    const rule = find(manifests, 'PrometheusRule', 'hearth-operator') as Manifest & { metadata: { labels: Record<string, string> } };
    const rules = parse(await readFile(path.join(repoRoot, 'deploy', 'monitoring', 'hearth-operator-rules.yaml'), 'utf8')) as { groups: unknown[] };
    assert.deepEqual(rule.spec?.groups, rules.groups);
    assert.equal(rule.metadata.namespace, releaseNamespace);
    assert.equal(rule.metadata.labels.release, 'kps');
    const dashboard = find(manifests, 'ConfigMap', 'hearth-operator-dashboard') as Manifest & {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      data: Record<string, string>;
    };
    assert.equal(dashboard.metadata.namespace, 'grafana');
    assert.equal(dashboard.metadata.labels.grafana_dashboard, '1');
    assert.equal(dashboard.metadata.annotations.grafana_folder, 'Hearth');
    assert.deepEqual(Object.keys(dashboard.data), ['hearth-dashboard.json']);
    assert.equal(dashboard.data['hearth-dashboard.json'], await readFile(path.join(repoRoot, 'deploy', 'monitoring', 'hearth-dashboard.json'), 'utf8'));
  });

  it('passes helm lint --strict, values schema included', async () => {
    const out = await mustExec(helm, ['lint', '--strict', chartDir, '--namespace', releaseNamespace]);
    assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    const namespaced = await mustExec(helm, ['lint', '--strict', chartDir, '--set', 'watchNamespace=chat', '--set', 'metrics.serviceMonitor.enabled=true']);
    assert.match(namespaced, /0 chart\(s\) failed/);
    const several = await mustExec(helm, ['lint', '--strict', chartDir, '--namespace', releaseNamespace, '--set', teams]);
    assert.match(several, /0 chart\(s\) failed/);
    const monitored = await mustExec(helm, ['lint', '--strict', chartDir, '--namespace', releaseNamespace, ...monitoringOn.flatMap((set) => ['--set', set])]);
    assert.match(monitored, /0 chart\(s\) failed/);
  });

  it('fails helm lint for values the schema refuses, naming the value', async () => {
    const cases: { set: string; message: RegExp }[] = [
      { set: 'replicas=-1', message: /at '\/replicas': minimum: got -1, want 1/ },
      { set: 'watchNamespace=Not_A_Namespace', message: /at '\/watchNamespace': 'Not_A_Namespace' does not match pattern/ },
      { set: 'watchNamespaces={team-a,Not_A_Namespace}', message: /at '\/watchNamespaces\/1': 'Not_A_Namespace' does not match pattern/ },
      { set: 'watchNamespaces={team-a,team-a}', message: /at '\/watchNamespaces': items at 0 and 1 are equal/ },
      { set: 'watchNamespaces=team-a', message: /at '\/watchNamespaces': got string, want array/ },
      { set: 'image.pullPolicy=Sometimes', message: /pullPolicy/ },
      { set: 'podSecurityContext.runAsNonRoot=false', message: /at '\/podSecurityContext\/runAsNonRoot': value must be true/ },
      { set: 'unknownValue=1', message: /additional properties 'unknownValue' not allowed/ },
      { set: 'backendImages.postgres=postgres', message: /at '\/backendImages\/postgres': 'postgres' does not match pattern/ },
      { set: 'backendImages.redis=redis:latest', message: /at '\/backendImages\/redis'/ },
      { set: 'monitoring.dashboard.namespace=Not_A_Namespace', message: /at '\/monitoring\/dashboard\/namespace': 'Not_A_Namespace' does not match pattern/ },
      { set: 'monitoring.prometheusRule.enable=true', message: /additional properties 'enable' not allowed/ },
    ];
    for (const { set, message } of cases) {
      const outcome = await exec(helm, ['lint', chartDir, '--set', set]);
      const output = outcome.stdout + outcome.stderr;
      assert.notEqual(outcome.code, 0, `helm lint --set ${set} passed:\n${output}`);
      assert.match(output, /values don't meet the specifications of the schema/, `--set ${set}: ${output}`);
      assert.match(output, message, `--set ${set}: ${output}`);
    }
    // A rule the schema cannot state (between two values) fails the render with its reason.
    const lease = await exec(helm, ['template', 'x', chartDir, '--set', 'leaderElection.renewDeadlineSeconds=20']);
    assert.notEqual(lease.code, 0);
    assert.match(lease.stderr, /renewDeadlineSeconds \(20\) must be below leaderElection.leaseDurationSeconds \(15\)/);
  });

  it('refuses watchNamespace and watchNamespaces together, in one message naming both', async () => {
    const both = await exec(helm, ['template', 'x', chartDir, '--set', 'watchNamespace=chat', '--set', teams]);
    assert.notEqual(both.code, 0, both.stdout);
    const errors = both.stderr.split('\n').filter((line) => line.startsWith('Error:'));
    assert.equal(errors.length, 1, both.stderr);
    assert.match(
      errors[0] ?? '',
      /watchNamespace \(chat\) and watchNamespaces \(team-a, team-b\) are both set: set only one of them \(watchNamespaces: \[chat\] watches that one namespace too\)$/,
    );
  });

  it('grants exactly the verbs the operator needs, without wildcards: a ClusterRole, or a Role in watchNamespace', async () => {
    const clusterWide = parseManifests(await template());
    const clusterRole = find(clusterWide, 'ClusterRole', 'hearth-operator');
    assertNoWildcards(clusterRole);
    assert.deepEqual(sorted(grants(clusterRole.rules ?? [])), sortedExpected());
    assert.equal(find(clusterWide, 'ClusterRoleBinding').roleRef?.name, 'hearth-operator');
    assert.ok(!clusterWide.some((manifest) => manifest.kind === 'Role' && manifest.metadata.name === 'hearth-operator'));

    const namespaced = parseManifests(await template('watchNamespace=chat'));
    assert.ok(!namespaced.some((manifest) => manifest.kind === 'ClusterRole' || manifest.kind === 'ClusterRoleBinding'));
    const role = find(namespaced, 'Role', 'hearth-operator');
    assert.equal(role.metadata.namespace, 'chat');
    assert.deepEqual(sorted(grants(role.rules ?? [])), sortedExpected());
    const binding = find(namespaced, 'RoleBinding', 'hearth-operator');
    assert.equal(binding.metadata.namespace, 'chat');
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'hearth-operator', namespace: releaseNamespace }]);

    const election = find(clusterWide, 'Role', 'hearth-operator-leader-election');
    assertNoWildcards(election);
    assert.equal(election.metadata.namespace, releaseNamespace);
    assert.deepEqual(election.rules, [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['hearth-operator', 'hearth-operator-backup', 'hearth-operator-restore'],
        verbs: ['get', 'update'],
      },
    ]);
    for (const manifest of [...clusterWide, ...namespaced]) assertNoWildcards(manifest);
  });

  it('with watchNamespaces, renders a Role and a RoleBinding in each namespace and no cluster-wide RBAC', async () => {
    const manifests = parseManifests(await template(teams));
    assert.deepEqual(
      manifests.filter((manifest) => manifest.kind.startsWith('Cluster')).map((manifest) => `${manifest.kind}/${manifest.metadata.name}`),
      [],
    );
    const roles = manifests.filter((manifest) => manifest.kind === 'Role' && manifest.metadata.name === 'hearth-operator');
    assert.deepEqual(
      roles.map((role) => role.metadata.namespace),
      ['team-a', 'team-b'],
    );
    for (const role of roles) {
      assertNoWildcards(role);
      assert.deepEqual(sorted(grants(role.rules ?? [])), sortedExpected(), `the Role in ${role.metadata.namespace}`);
    }
    const bindings = manifests.filter((manifest) => manifest.kind === 'RoleBinding' && manifest.metadata.name === 'hearth-operator');
    assert.deepEqual(
      bindings.map((binding) => binding.metadata.namespace),
      ['team-a', 'team-b'],
    );
    for (const binding of bindings) {
      assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'hearth-operator' });
      assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'hearth-operator', namespace: releaseNamespace }]);
    }
    // The leader election stays in the release namespace only.
    assert.equal(find(manifests, 'Role', 'hearth-operator-leader-election').metadata.namespace, releaseNamespace);
    // A list of one is the same as watchNamespace.
    const one = parseManifests(await template('watchNamespaces={chat}'));
    assert.deepEqual(
      one.filter((manifest) => manifest.metadata.name === 'hearth-operator' && manifest.kind.includes('Role')).map((m) => `${m.kind}/${m.metadata.namespace}`),
      ['Role/chat', 'RoleBinding/chat'],
    );
  });

  it('runs the operator non-root on a read-only root file system, without capabilities, probed on /healthz and /readyz', async () => {
    const deployment = find(parseManifests(await template()), 'Deployment', 'hearth-operator');
    const spec = deployment.spec as {
      replicas: number;
      template: { spec: { securityContext: Record<string, unknown>; containers: Record<string, unknown>[] } };
    };
    assert.equal(spec.replicas, 2);
    const pod = spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    const container = pod.containers[0] as {
      image: string;
      command: string[];
      securityContext: Record<string, unknown>;
      livenessProbe: { httpGet: { path: string } };
      readinessProbe: { httpGet: { path: string } };
      env: { name: string }[];
    };
    assert.equal(container.image, 'ghcr.io/hearth/hearth:0.1.0');
    // The flags the tests and the benchmark run the operator with (node-flags.ts): what is measured is what is deployed.
    assert.deepEqual(container.command, ['node', ...operatorNodeFlags, operatorEntryPoint]);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext.runAsNonRoot, true);
    assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'] });
    assert.deepEqual(container.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
  });

  it('sets the environment operator/src/config.ts reads, to what the values say', async () => {
    const configSource = await readFile(path.join(repoRoot, 'operator', 'src', 'config.ts'), 'utf8');
    const environment = async (...sets: string[]): Promise<Record<string, string>> => {
      const deployment = find(parseManifests(await template(...sets)), 'Deployment', 'hearth-operator');
      const spec = deployment.spec as { template: { spec: { containers: { env: EnvVar[] }[] } } };
      const env: Record<string, string> = {};
      // What the kubelet would resolve the downward API references to.
      const fields: Record<string, string> = { 'metadata.namespace': releaseNamespace, 'metadata.name': 'hearth-operator-5d8f-x2x4q' };
      for (const variable of spec.template.spec.containers[0]?.env ?? []) {
        assert.ok(configSource.includes(`'${variable.name}'`), `the chart sets ${variable.name}, which operator/src/config.ts does not read`);
        const value = variable.value ?? fields[variable.valueFrom?.fieldRef?.fieldPath ?? ''];
        assert.ok(value !== undefined, `${variable.name} has no value the test can resolve`);
        env[variable.name] = value;
      }
      return env;
    };

    const clusterWide = loadConfig(await environment());
    assert.equal(clusterWide.namespaces, undefined);
    // Unset, the operator's pinned images; set, the chart's.
    assert.deepEqual(clusterWide.backendImages, defaultBackendImages);
    const mirrored = loadConfig(
      await environment('backendImages.postgres=mirror.acme.example/postgres:15.19', 'backendImages.nats=nats@sha256:' + 'a'.repeat(64)),
    );
    assert.deepEqual(mirrored.backendImages, {
      postgres: 'mirror.acme.example/postgres:15.19',
      nats: `nats@sha256:${'a'.repeat(64)}`,
      redis: defaultBackendImages.redis,
      cloudNativePG: defaultBackendImages.cloudNativePG,
    });
    assert.equal(clusterWide.httpPort, 8080);
    assert.equal(clusterWide.shutdownDeadlineMs, 30_000);
    assert.deepEqual(clusterWide.leaderElection, {
      enabled: true,
      name: 'hearth-operator',
      namespace: releaseNamespace,
      identity: 'hearth-operator-5d8f-x2x4q',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    const namespaced = loadConfig(
      await environment('watchNamespace=chat', 'httpPort=9090', 'leaderElection.leaseDurationSeconds=30', 'leaderElection.leaseName=ops'),
    );
    assert.deepEqual(namespaced.namespaces, ['chat']);
    assert.equal(namespaced.httpPort, 9090);
    assert.ok(namespaced.leaderElection.enabled);
    assert.equal(namespaced.leaderElection.namespace, releaseNamespace);
    assert.equal(namespaced.leaderElection.name, 'ops');
    assert.equal(namespaced.leaderElection.leaseDurationMs, 30_000);
    // The namespaces the RBAC is rendered for are the ones the operator watches, in the same order.
    const several = loadConfig(await environment(teams));
    assert.deepEqual(several.namespaces, ['team-a', 'team-b']);
    assert.equal(several.leaderElection.enabled && several.leaderElection.namespace, releaseNamespace);
    const roles = parseManifests(await template(teams)).filter((manifest) => manifest.kind === 'Role' && manifest.metadata.name === 'hearth-operator');
    assert.deepEqual(
      roles.map((role) => role.metadata.namespace),
      several.namespaces,
    );
  });

  describe('against a real kube-apiserver', () => {
    let kube: ControlPlane;
    const kubectl = (...args: string[]): Promise<string> => mustExec(kube.binaries.kubectl, ['--kubeconfig', kube.kubeconfigPath, ...args]);
    const kubectlWithInput = (input: string, ...args: string[]): Promise<string> =>
      mustExec(kube.binaries.kubectl, ['--kubeconfig', kube.kubeconfigPath, ...args], input);

    before(async () => {
      kube = await startControlPlane({ binaries });
      // Helm installs crds/ before the templates; kubectl is told to do the same.
      await kubectl('apply', '--server-side', '-f', path.join(chartDir, 'crds', 'hearth.dev_hearths.yaml'));
      await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/hearths.hearth.dev');
      // The Prometheus Operator's, as published: what the chart makes of them is validated against them.
      for (const crd of ['serviceMonitors', 'podMonitors', 'prometheusRules'] as const) await kubectl('apply', '--server-side', '-f', await thirdPartyCrd(crd));
      await kubectl(
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        'crd/servicemonitors.monitoring.coreos.com',
        'crd/prometheusrules.monitoring.coreos.com',
      );
      for (const namespace of [releaseNamespace, 'chat', 'team-a', 'team-b', 'grafana']) await kubectl('create', 'namespace', namespace);
    });
    after(async () => {
      await kube?.stop();
    });

    it('accepts helm template | kubectl apply --dry-run=server, cluster-wide and for one namespace', async () => {
      const clusterWide = await kubectlWithInput(await template(), 'apply', '--dry-run=server', '-f', '-');
      for (const object of [
        'serviceaccount/hearth-operator',
        'clusterrole.rbac.authorization.k8s.io/hearth-operator',
        'clusterrolebinding.rbac.authorization.k8s.io/hearth-operator',
        'role.rbac.authorization.k8s.io/hearth-operator-leader-election',
        'rolebinding.rbac.authorization.k8s.io/hearth-operator-leader-election',
        'service/hearth-operator-metrics',
        'deployment.apps/hearth-operator',
      ]) {
        assert.match(clusterWide, new RegExp(`^${object.replaceAll('.', '\\.')} created \\(server dry run\\)$`, 'm'));
      }
      const namespaced = await kubectlWithInput(await template('watchNamespace=chat'), 'apply', '--dry-run=server', '-f', '-');
      assert.match(namespaced, /^role\.rbac\.authorization\.k8s\.io\/hearth-operator created \(server dry run\)$/m);
      assert.doesNotMatch(namespaced, /clusterrole/);
      const several = await kubectlWithInput(await template(teams), 'apply', '--dry-run=server', '-f', '-');
      assert.equal(several.match(/^role\.rbac\.authorization\.k8s\.io\/hearth-operator created \(server dry run\)$/gm)?.length, 2, several);
      assert.equal(several.match(/^rolebinding\.rbac\.authorization\.k8s\.io\/hearth-operator created \(server dry run\)$/gm)?.length, 2, several);
      assert.doesNotMatch(several, /clusterrole/);
      // The first Hearth of docs/operator.md is valid against the chart's CRD.
      const hearth = await kubectl('apply', '--dry-run=server', '-n', 'chat', '-f', path.join(repoRoot, 'docs', 'examples', 'embedded.yaml'));
      assert.match(hearth, /hearth\.hearth\.dev\/acme created \(server dry run\)/);
    });

    it('accepts the monitoring objects under the Prometheus Operator’s CRDs, strictly validated', async () => {
      const rendered = await template(...monitoringOn, 'monitoring.dashboard.namespace=grafana');
      const applied = await kubectlWithInput(rendered, 'apply', '--dry-run=server', '--validate=strict', '-f', '-');
      for (const object of [
        'servicemonitor.monitoring.coreos.com/hearth-operator',
        'prometheusrule.monitoring.coreos.com/hearth-operator',
        'configmap/hearth-operator-dashboard',
      ]) {
        assert.match(applied, new RegExp(`^${object.replaceAll('.', '\\.')} created \\(server dry run\\)$`, 'm'));
      }
    });

    /** `kubectl auth can-i` as the ServiceAccount of a release (by impersonation): what its RBAC allows. */
    const canAs =
      (serviceAccount: string) =>
      async (...args: string[]): Promise<boolean> => {
        const as = `--as=system:serviceaccount:${releaseNamespace}:${serviceAccount}`;
        const outcome = await exec(kube.binaries.kubectl, ['--kubeconfig', kube.kubeconfigPath, 'auth', 'can-i', as, ...args]);
        assert.match(outcome.stdout.trim(), /^(yes|no)$/, outcome.stderr);
        return outcome.stdout.trim() === 'yes';
      };

    it('gives the ServiceAccount what the operator needs in the watched namespace and nothing beyond', async () => {
      await kubectlWithInput(await template('watchNamespace=chat'), 'apply', '-f', '-');
      const can = canAs('hearth-operator');
      const allowed: string[][] = [
        ['watch', 'hearths.hearth.dev', '-n', 'chat'],
        ['patch', 'hearths.hearth.dev', '--subresource=status', '-n', 'chat'],
        // A HearthRestore creates its new Hearth.
        ['create', 'hearths.hearth.dev', '-n', 'chat'],
        ['delete', 'cronjobs.batch', '-n', 'chat'],
        ['create', 'statefulsets.apps', '-n', 'chat'],
        ['delete', 'deployments.apps', '-n', 'chat'],
        ['create', 'secrets', '-n', 'chat'],
        ['patch', 'networkpolicies.networking.k8s.io', '-n', 'chat'],
        ['create', 'horizontalpodautoscalers.autoscaling', '-n', 'chat'],
        ['delete', 'persistentvolumeclaims', '-n', 'chat'],
        ['patch', 'persistentvolumeclaims', '-n', 'chat'],
        ['create', 'events', '-n', 'chat'],
        ['watch', 'configmaps', '-n', 'chat'],
        ['patch', 'servicemonitors.monitoring.coreos.com', '-n', 'chat'],
        ['delete', 'podmonitors.monitoring.coreos.com', '-n', 'chat'],
        ['get', 'prometheusrules.monitoring.coreos.com', '-n', 'chat'],
        ['watch', 'jobs.batch', '-n', 'chat'],
        ['create', 'jobs.batch', '-n', 'chat'],
        ['list', 'pods', '-n', 'chat'],
        ['get', 'pods', '--subresource=log', '-n', 'chat'],
        // A restore with includeSecrets: its account, which may only create Secrets.
        ['create', 'serviceaccounts', '-n', 'chat'],
        ['create', 'roles.rbac.authorization.k8s.io', '-n', 'chat'],
        ['delete', 'rolebindings.rbac.authorization.k8s.io', '-n', 'chat'],
        ['create', 'leases.coordination.k8s.io', '-n', releaseNamespace],
        ['update', 'leases.coordination.k8s.io/hearth-operator', '-n', releaseNamespace],
      ];
      const refused: string[][] = [
        ['get', 'secrets', '-n', 'kube-system'],
        ['create', 'statefulsets.apps', '-n', 'default'],
        ['delete', 'hearths.hearth.dev', '-n', 'chat'],
        ['create', 'hearths.hearth.dev', '-n', 'default'],
        ['create', 'persistentvolumeclaims', '-n', 'chat'],
        ['create', 'pods', '-n', 'chat'],
        ['patch', 'jobs.batch', '-n', 'chat'],
        ['create', 'jobs.batch', '-n', 'default'],
        ['update', 'leases.coordination.k8s.io/someone-elses', '-n', releaseNamespace],
        ['update', 'statefulsets.apps', '-n', 'chat'],
        ['get', 'hearths.hearth.dev', '--subresource=status', '-n', 'chat'],
        ['delete', 'leases.coordination.k8s.io/hearth-operator', '-n', releaseNamespace],
        ['create', 'clusterroles.rbac.authorization.k8s.io'],
        ['create', 'roles.rbac.authorization.k8s.io', '-n', 'default'],
        ['patch', 'roles.rbac.authorization.k8s.io', '-n', 'chat'],
        ['bind', 'roles.rbac.authorization.k8s.io', '-n', 'chat'],
        ['escalate', 'roles.rbac.authorization.k8s.io', '-n', 'chat'],
        ['get', 'serviceaccounts', '-n', 'chat'],
        ['list', 'customresourcedefinitions.apiextensions.k8s.io'],
        ['watch', 'servicemonitors.monitoring.coreos.com', '-n', 'chat'],
        ['create', 'configmaps', '-n', 'default'],
      ];
      for (const args of allowed) assert.equal(await can(...args), true, `the operator may not ${args.join(' ')}`);
      for (const args of refused) assert.equal(await can(...args), false, `the operator may ${args.join(' ')}`);
    });

    it('with watchNamespaces, gives the ServiceAccount the same in each watched namespace and nothing in any other', async () => {
      // Another release, so that the Role in chat applied above grants this ServiceAccount nothing.
      const rendered = await templateRelease('teams', teams);
      const manifests = parseManifests(rendered);
      assert.ok(!manifests.some((manifest) => manifest.kind === 'ClusterRole' || manifest.kind === 'ClusterRoleBinding'));
      await kubectlWithInput(rendered, 'apply', '-f', '-');
      const can = canAs('teams-hearth-operator');
      const inEach: string[][] = [
        ['create', 'statefulsets.apps'],
        ['patch', 'deployments.apps'],
        ['get', 'secrets'],
        ['create', 'secrets'],
        ['patch', 'secrets'],
        ['watch', 'hearths.hearth.dev'],
        ['list', 'hearths.hearth.dev'],
        ['patch', 'hearths.hearth.dev', '--subresource=status'],
        ['update', 'hearths.hearth.dev', '--subresource=finalizers'],
        ['delete', 'persistentvolumeclaims'],
        ['create', 'events'],
      ];
      for (const namespace of ['team-a', 'team-b']) {
        for (const args of inEach) assert.equal(await can(...args, '-n', namespace), true, `the operator may not ${args.join(' ')} in ${namespace}`);
        // Never used: reconciles read Hearths, status included, from the informers' cache.
        assert.equal(await can('get', 'hearths.hearth.dev', '--subresource=status', '-n', namespace), false, `get hearths/status in ${namespace}`);
        assert.equal(await can('get', 'hearths.hearth.dev', '-n', namespace), false, `get hearths in ${namespace}`);
      }
      const elsewhere: string[][] = [
        ['create', 'statefulsets.apps'],
        ['get', 'secrets'],
        ['watch', 'hearths.hearth.dev'],
        ['create', 'events'],
      ];
      for (const namespace of ['kube-system', 'default', 'chat', releaseNamespace]) {
        for (const args of elsewhere) assert.equal(await can(...args, '-n', namespace), false, `the operator may ${args.join(' ')} in ${namespace}`);
      }
      // Nothing that spans namespaces: every LIST and WATCH is of one watched namespace.
      assert.equal(await can('list', 'hearths.hearth.dev', '--all-namespaces'), false);
      assert.equal(await can('list', 'secrets', '--all-namespaces'), false);
      // Its Lease, in the release namespace, is still its own.
      assert.equal(await can('update', 'leases.coordination.k8s.io/hearth-operator', '-n', releaseNamespace), true);
    });
  });
});
