export { freePort, removeDir, startChild, startTogether, tempDir, waitUntil, type Child } from './process.ts';
export { isListening } from './tcp.ts';
export {
  postgresBinDir,
  postgresTools,
  startPostgres,
  type PostgresProcess,
  type PostgresServer,
  type PostgresSingle,
  type PostgresTools,
} from './postgres.ts';
export { startPostgresPair, type PostgresPair } from './postgres-pair.ts';
export { postgresPerFile } from './postgres-per-file.ts';
export { startRedis, startRedisNode, type RedisServer } from './redis.ts';
export { startRedisSentinel, sentinelMasterName, type RedisSentinelSet } from './redis-sentinel.ts';
export { natsServerBinary, natsUserInfo, startNats, startNatsNode, type NatsAuth, type NatsServer } from './nats.ts';
export { startNatsCluster, type NatsCluster } from './nats-cluster.ts';
export { pinnedVersion } from './pinned.ts';
export { thirdPartyCrd, thirdPartyCrds } from './third-party-crds.ts';
export { startIngress, nginxConfig, UNAVAILABLE_BODY, UNAVAILABLE_RETRY_AFTER_S, type Ingress, type IngressBackends } from './ingress.ts';
export { startControlPlane, kubeBinaries, serviceClusterIpRange, type ControlPlane, type ControlPlaneOptions, type KubeBinaries } from './kube.ts';
export {
  fakeNodeAnnotation,
  kwokBinary,
  neverReadyLabel,
  neverReadyRegistry,
  neverReadyStage,
  simulatedNodes,
  standardStorageClass,
  startKubeCluster,
  type KubeCluster,
  type KubeClusterOptions,
  type SimulatedNode,
  type StageSelector,
} from './kube-cluster.ts';
export { helmBinary } from './helm.ts';
export {
  startPrometheus,
  buildPrometheusConfig,
  parseSampleValue,
  type Prometheus,
  type PrometheusOptions,
  type PrometheusAlert,
  type PrometheusRule,
  type PrometheusRuleGroup,
  type PrometheusTarget,
  type QueryResult,
  type ScrapeJob,
  type ScrapeTarget,
  type VectorSample,
} from './prometheus.ts';
export { metricNamesIn, rangesIn, selectorsIn, tokenizePromql, type LabelMatcher, type PromqlToken, type Selector } from './promql.ts';
export {
  expandVariables,
  panelQueries,
  placedPanels,
  variableQuery,
  type Dashboard,
  type DashboardPanel,
  type DashboardTarget,
  type DashboardVariable,
  type PanelQuery,
  type PlacedPanel,
} from './grafana-dashboard.ts';
export { describeSpans, SPAN_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';
export { dashboardQueryProblems } from './dashboard-queries.ts';
export {
  copiesOf,
  execForm,
  imagePathOf,
  isIgnored,
  lastOf,
  parseDockerfile,
  parseDockerignore,
  type Copy,
  type Dockerfile,
  type Instruction,
  type Stage,
} from './dockerfile.ts';
export { startToxiproxy, toxicAttributes, toxiproxyBinary, type Toxic, type Toxiproxy } from './toxiproxy.ts';
export { seaweedfsBinary, startSeaweedfs, type S3Server } from './seaweedfs.ts';
export { centrifugoBinary, hs256Token, startCentrifugo, type CentrifugoServer } from './centrifugo.ts';
export { makeLoopbackTls, type LoopbackTls } from './tls.ts';
export { startPushService, type BrowserSubscription, type PushService, type ReceivedPush } from './push-service.ts';
