export { mountRealtime, type Authenticate, type Realtime, type RealtimeDeps } from './realtime.ts';
