import { HearthError } from '@hearth/core';
import { NOT_BLANK } from '@hearth/gateway';

interface AjvIssue {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

/** Names the field an ajv issue is about: `body`, `memberIds.2`, or the missing or unexpected property. */
export function fieldOf(issue: AjvIssue): string {
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const extra = issue.params['missingProperty'] ?? issue.params['additionalProperty'];
  if (typeof extra === 'string') return path === '' ? extra : `${path}.${extra}`;
  return path;
}

/** What is wrong, in words: ajv's own message, except where it would quote a schema keyword or a pattern. */
function detailOf(issue: AjvIssue): string {
  if (issue.keyword === 'additionalProperties') return 'is not a known field';
  if (issue.keyword === 'required') return 'is required';
  if (issue.keyword === 'pattern' && issue.params['pattern'] === NOT_BLANK) return 'must not be blank';
  return issue.message ?? 'is invalid';
}

/** Turns fastify's schema validation failure into a 400 that names the field and says what is wrong. */
export function validationError(issues: readonly AjvIssue[], context: string | undefined): HearthError {
  const first = issues[0];
  if (first === undefined) return new HearthError('invalid_request', 'the request is invalid');
  const field = fieldOf(first);
  const where = field === '' ? (context ?? 'request') : field;
  return new HearthError('invalid_request', `${context ?? 'request'} ${where} ${detailOf(first)}`.replace(/^body body /, 'body '), { field: where });
}
