export { freePort, removeDir, startChild, tempDir, waitUntil, type Child } from './process.ts';
export { isListening } from './tcp.ts';
export { startPostgres, type PostgresServer } from './postgres.ts';
export { startRedis, type RedisServer } from './redis.ts';
export { natsServerBinary, startNats, startNatsNode, type NatsServer } from './nats.ts';
export { startNatsCluster, type NatsCluster } from './nats-cluster.ts';
export { pinnedVersion } from './pinned.ts';
export { startIngress, nginxConfig, type Ingress, type IngressBackends } from './ingress.ts';
export { startControlPlane, kubeBinaries, serviceClusterIpRange, type ControlPlane, type KubeBinaries } from './kube.ts';
