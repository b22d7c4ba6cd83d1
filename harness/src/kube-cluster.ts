// A simulated cluster that schedules pods: the harness control plane (etcd, kube-apiserver, its
// PKI) plus the real kube-controller-manager and kube-scheduler, and KWOK playing the kubelets of
// a few fake nodes in two zones. Deployments and StatefulSets get pods from the real controllers,
// the real scheduler places them, claims bind to pre-created PersistentVolumes through the real PV
// controller, and KWOK moves each placed pod to Running and Ready (no container runs). A pod
// labelled `kwok.hearth.dev/never-ready: "true"`, or whose image is under never-ready.invalid/,
// goes Running but never Ready, for tests of what a stuck rollout looks like. KWOK's stages are
// objects of its Stage CRD, so a test can add its own (neverReadyStage with a selector of its choosing).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { kubeBinaries, startControlPlane, type ControlPlane, type KubeBinaries } from './kube.ts';
import { isExecutable, pinnedVersion, repoRoot } from './pinned.ts';
import { startChild, waitUntil, type Child } from './process.ts';

const run = promisify(execFile);

/** The annotation KWOK is told to manage nodes by (its own convention, as kwokctl uses). */
export const fakeNodeAnnotation = 'kwok.x-k8s.io/node';
/** The pod label that selects the never-Ready stage. */
export const neverReadyLabel = 'kwok.hearth.dev/never-ready';
/** The image registry that selects it too: a Hearth's pods get it from spec.image.repository. */
export const neverReadyRegistry = 'never-ready.invalid';
/** The StorageClass of the pre-created PersistentVolumes, marked the cluster's default. */
export const standardStorageClass = 'standard';

export interface SimulatedNode {
  readonly name: string;
  readonly zone: string;
}

/** The nodes: three in two zones, so that spreading over zones has something to spread over. */
export const simulatedNodes: readonly SimulatedNode[] = [
  { name: 'kwok-node-0', zone: 'zone-a' },
  { name: 'kwok-node-1', zone: 'zone-b' },
  { name: 'kwok-node-2', zone: 'zone-a' },
];

/** kwok as built by scripts/build-kwok.sh (`make kwok-bin`), with the upstream stages it copied beside it. */
export interface KwokBinary {
  readonly kwok: string;
  readonly stagesDir: string;
}

/** Where the built kwok is (.cache/kwok/<pinned version>/), or null when it is not built yet. */
export async function kwokBinary(): Promise<KwokBinary | null> {
  const version = await pinnedVersion('build-kwok.sh', 'kwok_version');
  const dir = path.join(repoRoot, '.cache', 'kwok', version);
  const kwok = path.join(dir, 'kwok');
  const stagesDir = path.join(dir, 'stages');
  if (!(await isExecutable(kwok)) || !(await isExecutable(path.join(stagesDir, 'crd')))) return null;
  return { kwok, stagesDir };
}

export interface KubeCluster {
  readonly controlPlane: ControlPlane;
  /** The admin kubeconfig (the control plane's). */
  readonly kubeconfigPath: string;
  readonly nodes: readonly SimulatedNode[];
  kubectl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface KubeClusterOptions {
  /** PersistentVolumes pre-created on each node for the `standard` class (default 6). */
  readonly volumesPerNode?: number;
  /** The size of each (default 100Gi): every claim up to it binds. */
  readonly volumeSize?: string;
}

/**
 * Starts the simulated cluster and resolves once its nodes are Ready and the controller manager
 * and scheduler hold their leases. Throws, naming the make target, when a binary is not built.
 */
export async function startKubeCluster(options: KubeClusterOptions = {}): Promise<KubeCluster> {
  const binaries = await kubeBinaries();
  if (binaries === null || !(await hasClusterBinaries(binaries))) {
    throw new Error('kube-controller-manager and kube-scheduler are not built: run `make kube-bins` (scripts/build-kube-apiserver.sh)');
  }
  const kwok = await kwokBinary();
  if (kwok === null) throw new Error('kwok is not built: run `make kwok-bin` (scripts/build-kwok.sh)');

  const controlPlane = await startControlPlane({ binaries, withControllers: true });
  const children: Child[] = [];
  const kubectl = async (...args: string[]): Promise<string> =>
    (await run(binaries.kubectl, ['--kubeconfig', controlPlane.kubeconfigPath, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  const stop = async (): Promise<void> => {
    // KWOK and the controllers first: they would only log the API server's going.
    for (const child of children.reverse()) await child.stop('SIGTERM', 10_000);
    await controlPlane.stop();
  };
  try {
    children.push(startChild(binaries.dir + '/kube-controller-manager', controllerManagerArgs(controlPlane)));
    children.push(startChild(binaries.dir + '/kube-scheduler', schedulerArgs(controlPlane)));
    await installStages(controlPlane, kubectl, kwok.stagesDir);
    children.push(startChild(kwok.kwok, kwokArgs(controlPlane)));
    await applyJson(controlPlane, kubectl, 'cluster.json', clusterObjects(simulatedNodes, options));
    await waitForCluster(kubectl, children);
    return { controlPlane, kubeconfigPath: controlPlane.kubeconfigPath, nodes: simulatedNodes, kubectl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function hasClusterBinaries(binaries: KubeBinaries): Promise<boolean> {
  const found = await Promise.all(['kube-controller-manager', 'kube-scheduler'].map((name) => isExecutable(path.join(binaries.dir, name))));
  return found.every(Boolean);
}

/** The controllers a kubeadm cluster runs; the cloud ones have no cloud here and stay off. */
function controllerManagerArgs(controlPlane: ControlPlane): string[] {
  return [
    `--kubeconfig=${controlPlane.kubeconfigPath}`,
    '--bind-address=127.0.0.1',
    // No serving port: several clusters run side by side in the tests, and nothing scrapes them.
    '--secure-port=0',
    '--controllers=*,-cloud-node-lifecycle-controller,-service-lb-controller,-node-route-controller',
    // Each controller acts as its own service account (system:serviceaccount:kube-system:<controller>),
    // with the RBAC roles kube-apiserver bootstraps for it, as on a kubeadm cluster.
    '--use-service-account-credentials',
    // KWOK renews the nodes' leases, but on a loaded test machine a renewal can be late; past the
    // default 50 s the node would go NotReady and its pods Ready=False, which KWOK never sets back
    // (its stages make a pod Ready once). A simulated node fails only when a test makes it fail.
    '--node-monitor-grace-period=10m',
    `--service-account-private-key-file=${controlPlane.serviceAccountKeyPath}`,
    `--root-ca-file=${controlPlane.caPath}`,
    '--profiling=false',
    '--v=0',
  ];
}

function schedulerArgs(controlPlane: ControlPlane): string[] {
  return [`--kubeconfig=${controlPlane.kubeconfigPath}`, '--bind-address=127.0.0.1', '--secure-port=0', '--profiling=false', '--v=0'];
}

/** KWOK manages only the annotated nodes, with the stages it finds as Stage objects. */
function kwokArgs(controlPlane: ControlPlane): string[] {
  return [
    `--kubeconfig=${controlPlane.kubeconfigPath}`,
    '--enable-crds=Stage',
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${fakeNodeAnnotation}=fake`,
    // Leases renew the nodes' heartbeat, so the node lifecycle controller never marks them unreachable.
    '--node-lease-duration-seconds=40',
    '--cidr=10.244.0.0/16',
  ];
}

/**
 * The Stage CRD, KWOK's upstream stages (copied from its module by scripts/build-kwok.sh, so they
 * move with the pinned version) and the two never-Ready stages, before KWOK starts.
 */
async function installStages(controlPlane: ControlPlane, kubectl: Kubectl, stagesDir: string): Promise<void> {
  await kubectl('apply', '--server-side', '-f', path.join(stagesDir, 'crd'));
  await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/stages.kwok.x-k8s.io');
  await kubectl('apply', '-f', stagesDir);
  const stages = [
    neverReadyStage('hearth-pod-never-ready-label', [{ key: `.metadata.labels["${neverReadyLabel}"]`, operator: 'In', values: ['true'] }]),
    neverReadyStage('hearth-pod-never-ready-image', [
      { key: `.spec.containers.[] | select( .image | startswith("${neverReadyRegistry}/") ) | .image`, operator: 'Exists' },
    ]),
  ];
  await applyJson(controlPlane, kubectl, 'never-ready-stages.json', { apiVersion: 'v1', kind: 'List', items: stages });
}

export interface StageSelector {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values?: readonly string[];
}

/**
 * A Stage that leaves a Pending pod that every one of `selectors` picks Running with Ready False, so that
 * neither it nor `pod-ready` matches it again. It outweighs `pod-ready` (weight 0, which KWOK
 * never picks beside a weighted match). Tests may apply more of them to the cluster.
 */
export function neverReadyStage(name: string, selectors: readonly StageSelector[]): object {
  return {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Stage',
    metadata: { name },
    spec: {
      resourceRef: { apiGroup: 'v1', kind: 'Pod' },
      selector: {
        matchExpressions: [
          ...selectors,
          { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' },
          { key: '.status.phase', operator: 'In', values: ['Pending'] },
        ],
      },
      weight: 1,
      next: { statusTemplate: neverReadyStatus },
    },
  };
}

const neverReadyStatus = `{{ $now := Now }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  message: "the readiness probe never succeeds (a never-Ready stage of KWOK)"
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  type: ContainersReady
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  restartCount: 0
  started: true
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
phase: Running
startTime: {{ $now | Quote }}
`;

/** The nodes, the `standard` StorageClass and its PersistentVolumes, as one v1 List. */
export function clusterObjects(nodes: readonly SimulatedNode[], options: KubeClusterOptions = {}): object {
  const volumesPerNode = options.volumesPerNode ?? 6;
  const size = options.volumeSize ?? '100Gi';
  const storageClass = {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: standardStorageClass, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    // No provisioner: claims bind to the volumes below, once the scheduler has picked the pod's node.
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'WaitForFirstConsumer',
    reclaimPolicy: 'Retain',
  };
  const volumes = nodes.flatMap((node) => Array.from({ length: volumesPerNode }, (_, index) => localVolume(node, index, size)));
  return { apiVersion: 'v1', kind: 'List', items: [...nodes.map(fakeNode), storageClass, ...volumes] };
}

function fakeNode(node: SimulatedNode): object {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      annotations: { [fakeNodeAnnotation]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/zone': node.zone,
        type: 'kwok',
      },
    },
  };
}

/** A local volume pinned to one node: the scheduler's volume binding then keeps a pod with its claim's node. */
function localVolume(node: SimulatedNode, index: number, size: string): object {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `${node.name}-pv-${index}`, labels: { 'topology.kubernetes.io/zone': node.zone } },
    spec: {
      capacity: { storage: size },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: standardStorageClass,
      local: { path: `/mnt/kwok/${node.name}/${index}` },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node.name] }] }] } },
    },
  };
}

type Kubectl = (...args: string[]) => Promise<string>;

async function applyJson(controlPlane: ControlPlane, kubectl: Kubectl, name: string, objects: object): Promise<void> {
  const file = path.join(controlPlane.dir, name);
  await writeFile(file, JSON.stringify(objects));
  await kubectl('apply', '-f', file);
}

/** Nodes Ready (KWOK), `default` service account (controller manager), both leader leases held. */
async function waitForCluster(kubectl: Kubectl, children: readonly Child[]): Promise<void> {
  const [controllerManager, scheduler, kwok] = children;
  const readyNodes = async (): Promise<boolean> => {
    const statuses = await kubectl('get', 'nodes', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}');
    return statuses.split(' ').filter((status) => status === 'True').length === simulatedNodes.length;
  };
  const exists =
    (...args: string[]) =>
    async (): Promise<boolean> =>
      (await kubectl('get', ...args, '--ignore-not-found', '-o', 'name')).trim() !== '';
  await waitUntil(
    'kube-controller-manager (the default service account)',
    exists('serviceaccount', 'default', '-n', 'default'),
    controllerManager ?? null,
    60_000,
  );
  await waitUntil('kube-controller-manager (its lease)', exists('lease', 'kube-controller-manager', '-n', 'kube-system'), controllerManager ?? null, 60_000);
  await waitUntil('kube-scheduler (its lease)', exists('lease', 'kube-scheduler', '-n', 'kube-system'), scheduler ?? null, 60_000);
  await waitUntil('the KWOK nodes Ready', readyNodes, kwok ?? null, 60_000);
}
