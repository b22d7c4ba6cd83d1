/** An event older than this when it reaches the page is history (a catch-up after a reconnect), not news: no sound, no notification. */
export const FRESH_MS = 10_000;

export function isFresh(at: string, now: number): boolean {
  return now - Date.parse(at) <= FRESH_MS;
}
