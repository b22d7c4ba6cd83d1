import { useEffect, useRef, useState } from 'preact/hooks';
import type { SearchHit } from '../api-types.ts';
import type { Chat } from '../chat.ts';
import { plainBody } from '../mentions.ts';
import { onLinkClick, roomPath } from '../router.ts';
import { formatTime } from './message-item.tsx';

type Results =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading'; readonly q: string }
  | { readonly kind: 'done'; readonly q: string; readonly hits: readonly SearchHit[] }
  | { readonly kind: 'error'; readonly q: string; readonly message: string };

/** Typing waits this long for a pause before it searches; Enter searches at once. */
const SEARCH_DELAY_MS = 300;

interface Search {
  readonly q: string;
  readonly results: Results;
  /** Typing: searches once the typing pauses. */
  type(value: string): void;
  /** Enter: searches now. */
  submit(): void;
  close(): void;
}

/** The query and its results; only the answer to the latest query is shown. */
function useSearch(chat: Chat): Search {
  const [q, setQ] = useState('');
  const [results, setResults] = useState<Results>({ kind: 'idle' });
  const latest = useRef('');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const cancelTimer = (): void => {
    if (timer.current !== null) clearTimeout(timer.current);
  };
  useEffect(() => cancelTimer, []);

  async function run(query: string): Promise<void> {
    const trimmed = query.trim();
    latest.current = trimmed;
    if (trimmed === '') {
      setResults({ kind: 'idle' });
      return;
    }
    setResults({ kind: 'loading', q: trimmed });
    try {
      const hits = await chat.search(trimmed);
      if (latest.current === trimmed) setResults({ kind: 'done', q: trimmed, hits });
    } catch (caught) {
      if (latest.current === trimmed) setResults({ kind: 'error', q: trimmed, message: caught instanceof Error ? caught.message : String(caught) });
    }
  }

  return {
    q,
    results,
    type(value) {
      setQ(value);
      cancelTimer();
      timer.current = setTimeout(() => void run(value), SEARCH_DELAY_MS);
    },
    submit() {
      cancelTimer();
      void run(q);
    },
    close() {
      latest.current = '';
      setQ('');
      setResults({ kind: 'idle' });
    },
  };
}

/** Search over the user's rooms; results replace nothing, they float under the box until one is picked. */
export function SearchBox({ chat }: { readonly chat: Chat }) {
  const search = useSearch(chat);
  return (
    <div class="search">
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          search.submit();
        }}
      >
        <input
          type="search"
          name="q"
          data-testid="search-input"
          placeholder="Search messages"
          aria-label="Search messages"
          autocomplete="off"
          value={search.q}
          onInput={(e) => search.type(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') search.close();
          }}
        />
      </form>
      {search.results.kind !== 'idle' && <SearchResults chat={chat} results={search.results} close={search.close} />}
    </div>
  );
}

/** The line above the results; none for an error, which says so below it. */
function resultsSummary(results: Exclude<Results, { kind: 'idle' }>): string | null {
  if (results.kind === 'loading') return 'Searching…';
  if (results.kind === 'done') return `${results.hits.length} ${results.hits.length === 1 ? 'match' : 'matches'} for “${results.q}”`;
  return null;
}

function SearchResults(props: { readonly chat: Chat; readonly results: Exclude<Results, { kind: 'idle' }>; readonly close: () => void }) {
  const { results } = props;
  return (
    <div class="search-results" data-testid="search-results" data-query={results.q}>
      <div class="search-results-head">
        <span class="small muted">{resultsSummary(results)}</span>
        <button type="button" class="link-button" data-testid="search-close" onClick={props.close}>
          Close
        </button>
      </div>
      {results.kind === 'error' && (
        <p class="form-error" role="alert">
          {results.message}
        </p>
      )}
      {results.kind === 'done' && (
        <ul>
          {results.hits.map((hit) => (
            <SearchHitItem key={hit.message.id} chat={props.chat} hit={hit} close={props.close} />
          ))}
        </ul>
      )}
    </div>
  );
}

/** One hit, a link to its room; following it closes the results. */
function SearchHitItem({ chat, hit, close }: { readonly chat: Chat; readonly hit: SearchHit; readonly close: () => void }) {
  const path = roomPath(hit.message.roomId);
  return (
    <li>
      <a
        href={path}
        class="search-hit"
        data-testid="search-hit"
        data-room-id={hit.message.roomId}
        data-message-id={hit.message.id}
        onClick={(e) => {
          onLinkClick(e, path);
          if (e.defaultPrevented) close();
        }}
      >
        <span class="hit-meta small">
          <strong data-testid="search-hit-room">{hit.roomName ?? 'Direct message'}</strong>
          {' · '}
          {chat.userName(hit.message.authorId)}
          {' · '}
          {formatTime(hit.message.createdAt)}
        </span>
        <span class="hit-body" data-testid="search-hit-body">
          {plainBody(hit.message.body, (id) => chat.userName(id))}
        </span>
      </a>
    </li>
  );
}
