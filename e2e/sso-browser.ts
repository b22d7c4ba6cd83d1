import { applySetCookies } from './client.ts';

/**
 * A small browser for the sign-in dance between Hearth and the provider: one cookie jar per
 * host, redirects followed by hand (so a test can stop at, keep or replay a redirect), and
 * the provider's login and logout forms filled in. Chromium covers the same flow in
 * e2e/sso-browser.test.ts; this one lets the refusal tests reach every step.
 */
export interface Visit {
  readonly url: string;
  readonly status: number;
  readonly body: string;
  /** Set-Cookie names this response set (with a value) on its host. */
  readonly setCookies: readonly string[];
}

export class SsoBrowser {
  readonly #jars = new Map<string, Map<string, string>>();

  cookies(url: string): Map<string, string> {
    const host = new URL(url).host;
    let jar = this.#jars.get(host);
    if (jar === undefined) {
      jar = new Map();
      this.#jars.set(host, jar);
    }
    return jar;
  }

  cookieHeader(url: string): string {
    return [...this.cookies(url)].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** One request, no redirect followed. */
  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Visit & { location: string | null }> {
    const headers: Record<string, string> = { cookie: this.cookieHeader(url), 'user-agent': 'hearth-sso-test' };
    if (init.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, {
      method: init.method ?? (init.form === undefined ? 'GET' : 'POST'),
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
      ...(init.form === undefined ? {} : { body: new URLSearchParams(init.form).toString() }),
    });
    const setCookie = response.headers.getSetCookie();
    applySetCookies(this.cookies(url), setCookie);
    const location = response.headers.get('location');
    return {
      url,
      status: response.status,
      body: await response.text(),
      setCookies: setCookie.filter((header) => !/^[^=]+=;/.test(header)).map((header) => header.split('=')[0] ?? ''),
      location: location === null ? null : new URL(location, url).href,
    };
  }

  /** Follows redirects from `url` until a page answers, or until `stopAt` matches the next URL (which is returned unvisited). */
  async follow(url: string, stopAt: (next: string) => boolean = () => false): Promise<{ page: Visit; stoppedAt: string | null; visited: string[] }> {
    const visited: string[] = [];
    let next = url;
    for (let hop = 0; hop < 20; hop++) {
      if (hop > 0 && stopAt(next)) return { page: { url: next, status: 0, body: '', setCookies: [] }, stoppedAt: next, visited };
      visited.push(next);
      const visit = await this.request(next);
      if (visit.location === null || visit.status < 300 || visit.status >= 400) return { page: visit, stoppedAt: null, visited };
      next = visit.location;
    }
    throw new Error(`more than 20 redirects from ${url}`);
  }

  /** Fills in the provider's login page (devInteractions: login name and any password) and follows on. */
  async logInAtProvider(loginPage: Visit, login: string, stopAt?: (next: string) => boolean) {
    const action = /<form[^>]*action="([^"]+)"/.exec(loginPage.body)?.[1];
    if (action === undefined) throw new Error(`no login form at ${loginPage.url}: ${loginPage.body.slice(0, 300)}`);
    const posted = await this.request(new URL(action.replaceAll('&amp;', '&'), loginPage.url).href, {
      form: { prompt: 'login', login, password: 'any password' },
    });
    if (posted.location === null) throw new Error(`the provider did not redirect after login (${posted.status}): ${posted.body.slice(0, 300)}`);
    return this.follow(posted.location, stopAt);
  }

  /** Signs out at the provider (RP-initiated logout page: confirms "yes"), which makes it send back-channel logouts. */
  async logOutAtProvider(endSessionUrl: string) {
    const page = await this.request(endSessionUrl);
    const action = /<form[^>]*action="([^"]+)"/.exec(page.body)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1];
    if (action === undefined || xsrf === undefined) throw new Error(`no logout form at ${endSessionUrl} (${page.status}): ${page.body.slice(0, 300)}`);
    const confirmed = await this.request(new URL(action, endSessionUrl).href, { form: { xsrf, logout: 'yes' } });
    return confirmed.location === null ? confirmed : (await this.follow(confirmed.location)).page;
  }
}
