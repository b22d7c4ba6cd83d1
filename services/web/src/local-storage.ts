/** localStorage, or null where the browser refuses it (private modes, blocked storage): what it would keep is then kept for the page's life only. */
export function safeStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
