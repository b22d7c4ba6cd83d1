/**
 * A short description of the device a session was started from, as people name it ("Chrome on
 * Linux", "Safari on iPhone"), read from its User-Agent header. Only for showing: a user agent is
 * whatever the client says, so nothing is decided by it.
 */

/** Browsers, the first that matches naming it: Edge, Opera and Samsung's also say Chrome, and Chrome also says Safari. */
const BROWSERS: readonly (readonly [RegExp, string])[] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\b(?:Headless)?Chrome\/|\bCriOS\/|\bChromium\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

/** Systems, the first that matches naming it: Android also says Linux, and iOS says "like Mac OS X". */
const SYSTEMS: readonly (readonly [RegExp, string])[] = [
  [/\bAndroid\b/, 'Android'],
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

const UNKNOWN = 'Unknown device';

function firstMatch(userAgent: string, table: readonly (readonly [RegExp, string])[]): string | null {
  return table.find(([pattern]) => pattern.test(userAgent))?.[1] ?? null;
}

/** A program that is no browser names itself first (`curl/8.5.0`, `hearth-cli/1.0 (…)`): its name, at most 40 characters. */
function programName(userAgent: string): string | null {
  const name = /^([A-Za-z][\w.-]*)(?:\/[\w.+-]+)?/.exec(userAgent)?.[1];
  return name === undefined || name === 'Mozilla' ? null : name.slice(0, 40);
}

/** "Chrome on Linux", "Firefox", "on Windows" as "Browser on Windows", a program's own name, or "Unknown device". */
export function describeDevice(userAgent: string): string {
  const agent = userAgent.trim();
  if (agent === '') return UNKNOWN;
  const browser = firstMatch(agent, BROWSERS);
  const system = firstMatch(agent, SYSTEMS);
  if (browser !== null) return system === null ? browser : `${browser} on ${system}`;
  if (system !== null) return `Browser on ${system}`;
  return programName(agent) ?? UNKNOWN;
}
