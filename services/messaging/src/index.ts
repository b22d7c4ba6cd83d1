export { startMessaging, type Messaging, type MessagingDeps } from './messaging.ts';
