export { registerGateway } from './app.ts';
export type { GatewayDeps } from './deps.ts';
export type { AuditEntryView } from './routes/admin-audit.ts';
export type { FileService } from './routes/files.ts';
export type { OidcClient } from './sso/oidc-client.ts';
export { openOidcClient } from './sso/open-oidc-client.ts';
export { contentSecurityPolicy, registerSecurityHeaders, securityHeaders } from './security-headers.ts';
export { NOT_BLANK } from './schemas.ts';
