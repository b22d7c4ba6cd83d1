import { KubeApiError, type KubeHttp, type Query } from './kube-http.ts';
import { forCache, type KubeObject } from './kube-object.ts';

interface ListPage<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

export interface ListAllOptions {
  readonly selectors: Query;
  /** Items per page. */
  readonly pageSize: number;
  readonly signal: AbortSignal;
}

/**
 * All pages of a consistent LIST (no resourceVersion: the freshest state, from quorum), with the
 * resourceVersion a watch resumes from.
 */
export async function listAllPages<T extends KubeObject>(
  http: KubeHttp,
  path: string,
  options: ListAllOptions,
): Promise<{ items: T[]; resourceVersion: string }> {
  const items: T[] = [];
  let continueToken: string | undefined;
  let listed = '';
  do {
    const query = { ...options.selectors, limit: options.pageSize, continue: continueToken };
    const { status, body } = await http.requestJson('GET', path, { query, signal: options.signal });
    if (status !== 200) throw new KubeApiError(status, body, `list ${path}`);
    const page = body as ListPage<T>;
    items.push(...itemsOf(page));
    listed = page.metadata?.resourceVersion ?? '';
    continueToken = continueTokenOf(page);
  } while (continueToken !== undefined);
  return { items, resourceVersion: listed };
}

/** A page's items, each with the apiVersion and kind of the list, trimmed for the cache (forCache). */
function itemsOf<T extends KubeObject>(page: ListPage<T>): T[] {
  // Items of a typed list carry no apiVersion/kind; watch events do. Make them alike.
  const kind = page.kind?.replace(/List$/, '');
  return (page.items ?? []).map((item) => forCache<T>({ apiVersion: page.apiVersion, kind, ...item } as T));
}

/** The token that asks for the next page; undefined after the last. */
function continueTokenOf(page: ListPage<unknown>): string | undefined {
  const token = page.metadata?.continue;
  return token === '' ? undefined : token;
}
