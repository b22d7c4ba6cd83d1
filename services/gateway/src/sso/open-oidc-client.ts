import type { Logger, OidcConfig } from '@hearth/core';
import type { OidcClient } from './oidc-client.ts';

/**
 * The OidcClient for a configured provider. openid-client and jose (about 50 modules) are
 * imported here, when a provider is configured, not by every server that starts.
 */
export async function openOidcClient(config: OidcConfig, logger: Logger): Promise<OidcClient> {
  const { createOidcClient } = await import('./oidc-client.ts');
  return createOidcClient(config, logger);
}
