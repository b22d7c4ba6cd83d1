export type { Authenticate, RealtimeDeps } from './deps.ts';
export { mountRealtime, type Realtime } from './realtime.ts';
