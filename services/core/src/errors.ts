/**
 * Every error Hearth reports on purpose, with a stable code and its HTTP status.
 * Anything else that escapes is an internal error and is reported without details.
 *
 * An error has two faces. What a client sees (`toJSON()`, `publicMessage`) says only what it
 * can act on; `message` and `cause` are for the log. For a client's own mistakes (4xx) the two
 * are the same text. For server-side codes (5xx) the message names hosts, ports, queries and
 * drivers' errors, so the public face is a fixed sentence per code, whatever the thrower wrote:
 * the many places that throw `unavailable` need not each remember to keep it clean.
 */
/**
 * Seconds a client waits before retrying a 503: about what a Redis, NATS or PostgreSQL failover
 * takes. Every 503 says it, whichever server answers (the app, or a process still starting).
 */
export const UNAVAILABLE_RETRY_AFTER_S = 2;

export const ERROR_CODES = {
  invalid_request: 400,
  invalid_json: 400,
  /** The client did not send a whole request within the request timeout. */
  request_timeout: 408,
  payload_too_large: 413,
  /** A file of a type this Hearth does not accept (HEARTH_FILES_TYPES). */
  unsupported_media_type: 415,
  /** File uploads are turned off on this Hearth (the resource's features.files). */
  files_disabled: 403,
  /** Web Push is turned off on this Hearth (HEARTH_PUSH). */
  push_disabled: 403,
  /** A path (or a segment of it) longer than the server reads. */
  uri_too_long: 414,
  /** The request's headers are larger than the server reads. */
  headers_too_large: 431,
  unauthenticated: 401,
  invalid_credentials: 401,
  /** A sign-in through the OpenID provider that was refused (state, code, token or claims). */
  sso_refused: 401,
  /** The provider confirmed who someone is, but Hearth will not let them in (an unverified email). */
  sso_forbidden: 403,
  /** Local passwords are turned off: people sign in through the OpenID provider. */
  password_sign_in_disabled: 403,
  csrf_mismatch: 403,
  forbidden: 403,
  not_a_member: 403,
  not_found: 404,
  /** The path exists, but not with this method; the Allow header lists the methods it has. */
  method_not_allowed: 405,
  room_not_found: 404,
  message_not_found: 404,
  user_not_found: 404,
  conflict: 409,
  already_set_up: 409,
  email_taken: 409,
  not_set_up: 409,
  rate_limited: 429,
  /** The OpenID provider could not be reached or answered with nonsense. */
  sso_unavailable: 502,
  unavailable: 503,
  /** Writes are paused while the store is copied (a tier migration); reads go on. */
  migrating: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes whose status is 5xx: the server's fault, so nothing of the detail may reach the client. */
export type ServerErrorCode = { [C in ErrorCode]: (typeof ERROR_CODES)[C] extends 500 | 502 | 503 | 504 ? C : never }[ErrorCode];

/** What a client is told for each server-side code: what happened, as far as it can act on it. */
export const PUBLIC_SERVER_MESSAGES: Readonly<Record<ServerErrorCode, string>> = {
  unavailable: 'the service is temporarily unavailable; retry',
  migrating: 'Hearth is moving to new servers: reading works, and writing is paused for a few minutes; retry',
  internal: 'something went wrong on our side; it has been logged',
  sso_unavailable: 'the identity provider could not be reached; try again shortly',
};

export function isServerErrorCode(code: ErrorCode): code is ServerErrorCode {
  return ERROR_CODES[code] >= 500;
}

/** The message a client may see for an error of `code` whose detailed message is `message`. */
export function publicMessageOf(code: ErrorCode, message: string): string {
  return isServerErrorCode(code) ? PUBLIC_SERVER_MESSAGES[code] : message;
}

export interface HearthErrorOptions {
  /** The request field the error is about, as a JSON pointer-ish path (`body`, `boost.content`). */
  readonly field?: string;
  readonly cause?: unknown;
  /** Seconds a client should wait, for rate limits. */
  readonly retryAfter?: number;
}

/**
 * `message` is the detail, for the log (with `cause`); for a 5xx code it never leaves the
 * process. `toJSON()` is the public face.
 */
export class HearthError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, options: HearthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HearthError';
    this.code = code;
    this.field = options.field;
    this.retryAfter = options.retryAfter;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }

  /** True for a 5xx: the detail stays in the log, and the client gets a fixed sentence. */
  get isServerSide(): boolean {
    return isServerErrorCode(this.code);
  }

  /** The message a client may see. */
  get publicMessage(): string {
    return publicMessageOf(this.code, this.message);
  }

  /**
   * Seconds a client should wait before retrying: the error's own, or for a 503 the time a
   * backend failover takes (a 503 is always worth retrying).
   */
  get retryAfterSeconds(): number | undefined {
    return this.retryAfter ?? (this.status === 503 ? UNAVAILABLE_RETRY_AFTER_S : undefined);
  }

  /** The body sent to clients; serialisable, and safe to cross the bus: the public face only. */
  toJSON(): ErrorBody {
    const retryAfter = this.retryAfterSeconds;
    return {
      error: {
        code: this.code,
        message: this.publicMessage,
        ...(this.field === undefined ? {} : { field: this.field }),
        ...(retryAfter === undefined ? {} : { retryAfter }),
      },
    };
  }

  static fromJSON(body: ErrorBody): HearthError {
    const { code, message, field, retryAfter } = body.error;
    const known = isErrorCode(code) ? code : 'internal';
    return new HearthError(known, message, {
      ...(field === undefined ? {} : { field }),
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });
  }
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string; readonly retryAfter?: number };
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

export function isHearthError(error: unknown): error is HearthError {
  return error instanceof HearthError;
}

/** Shorthand for the most common refusal: a named field with a bad value. */
export function invalid(field: string, message: string): HearthError {
  return new HearthError('invalid_request', message, { field });
}
