/**
 * Every error Hearth reports on purpose, with a stable code and its HTTP status.
 * Anything else that escapes is an internal error and is reported without details.
 */
/**
 * Seconds a client waits before retrying a 503: about what a Redis, NATS or PostgreSQL failover
 * takes. Every 503 says it, whichever server answers (the app, or a process still starting).
 */
export const UNAVAILABLE_RETRY_AFTER_S = 2;

export const ERROR_CODES = {
  invalid_request: 400,
  invalid_json: 400,
  payload_too_large: 413,
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
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface HearthErrorOptions {
  /** The request field the error is about, as a JSON pointer-ish path (`body`, `boost.content`). */
  readonly field?: string;
  readonly cause?: unknown;
  /** Seconds a client should wait, for rate limits. */
  readonly retryAfter?: number;
}

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

  /** The body sent to clients; serialisable and safe to cross the bus. */
  toJSON(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field === undefined ? {} : { field: this.field }),
        ...(this.retryAfter === undefined ? {} : { retryAfter: this.retryAfter }),
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
