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

/** Search over the user's rooms; results replace nothing, they float under the box until one is picked. */
export function SearchBox({ chat }: { readonly chat: Chat }) {
  const [q, setQ] = useState('');
  const [results, setResults] = useState<Results>({ kind: 'idle' });
  const latest = useRef('');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );

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

  function onInput(value: string): void {
    setQ(value);
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = setTimeout(() => void run(value), 300);
  }

  function close(): void {
    latest.current = '';
    setQ('');
    setResults({ kind: 'idle' });
  }

  return (
    <div class="search">
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          if (timer.current !== null) clearTimeout(timer.current);
          void run(q);
        }}
      >
        <input
          type="search"
          name="q"
          data-testid="search-input"
          placeholder="Search messages"
          aria-label="Search messages"
          autocomplete="off"
          value={q}
          onInput={(e) => onInput(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') close();
          }}
        />
      </form>
      {results.kind !== 'idle' && (
        <div class="search-results" data-testid="search-results" data-query={results.q}>
          <div class="search-results-head">
            <span class="small muted">
              {results.kind === 'loading' && 'Searching…'}
              {results.kind === 'done' && `${results.hits.length} ${results.hits.length === 1 ? 'match' : 'matches'} for “${results.q}”`}
            </span>
            <button type="button" class="link-button" data-testid="search-close" onClick={close}>
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
              {results.hits.map((hit) => {
                const path = roomPath(hit.message.roomId);
                return (
                  <li key={hit.message.id}>
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
              })}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
