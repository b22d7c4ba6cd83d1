export { startMessaging, type Messaging, type MessagingDeps } from './messaging.ts';
export type { WebhookOptions } from './webhooks/deliverer.ts';
