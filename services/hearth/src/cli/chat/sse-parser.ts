/**
 * Server-Sent Events as text arrives in chunks (the WHATWG event-stream format, as much of it as
 * Hearth's stream uses): `event:`, `data:` (lines joined by "\n") and `id:` fields, an event
 * dispatched at a blank line, comment lines (`: ping`) ignored. Pure, so chunk boundaries that
 * fall anywhere are a table test.
 */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | null;
}

export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #id: string | null = null;

  /** The events completed by `chunk`. */
  push(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const events: SseEvent[] = [];
    let newline = this.#buffer.search(/\r\n|\r|\n/);
    // A \r at the end may be the first half of \r\n: wait for what follows.
    while (newline !== -1 && !(newline === this.#buffer.length - 1 && this.#buffer.endsWith('\r'))) {
      const line = this.#buffer.slice(0, newline);
      const width = this.#buffer.startsWith('\r\n', newline) ? 2 : 1;
      this.#buffer = this.#buffer.slice(newline + width);
      const event = this.#line(line);
      if (event !== null) events.push(event);
      newline = this.#buffer.search(/\r\n|\r|\n/);
    }
    return events;
  }

  #line(line: string): SseEvent | null {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id') this.#id = value;
    return null;
  }

  #dispatch(): SseEvent | null {
    const event = this.#data.length === 0 ? null : { event: this.#event === '' ? 'message' : this.#event, data: this.#data.join('\n'), id: this.#id };
    this.#event = '';
    this.#data = [];
    return event;
  }
}
