export { registerGateway } from './app.ts';
export type { GatewayDeps } from './deps.ts';
