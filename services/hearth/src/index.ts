export { buildServer, openBackends, type Backends, type Server } from './server.ts';
