// `make cluster`: starts the simulated cluster (kube-cluster.ts), prints its kubeconfig's path and
// waits; Ctrl-C (or SIGTERM) stops it and removes its state.
import { startKubeCluster } from './kube-cluster.ts';

const cluster = await startKubeCluster();
const nodes = cluster.nodes.map((node) => `${node.name} (${node.zone})`).join(', ');
process.stdout.write(
  [
    `A simulated cluster is up: nodes ${nodes}; StorageClass standard.`,
    `  export KUBECONFIG=${cluster.kubeconfigPath}`,
    `  ${cluster.controlPlane.binaries.kubectl} get nodes`,
    'Ctrl-C stops it and deletes its state.',
    '',
  ].join('\n'),
);
const stop = (): void => {
  process.stdout.write('stopping the cluster\n');
  cluster.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`stopping the cluster failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
