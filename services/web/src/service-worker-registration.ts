/**
 * Registers the service worker (service-worker.ts, served as /sw.js) that lets the app open
 * offline and be installed. Browsers allow one only in a secure context: HTTPS, or localhost.
 */
export function registerServiceWorker(): void {
  if (!window.isSecureContext || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((error: unknown) => {
    console.warn('hearth: the service worker did not register; the app will not open offline', error);
  });
}
