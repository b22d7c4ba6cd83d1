import { HearthError } from '@hearth/core';

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

/** Turns fastify's schema validation failure into a 400 that names the field and says what is wrong. */
export function validationError(issues: readonly AjvIssue[], context: string | undefined): HearthError {
  const first = issues[0];
  if (first === undefined) return new HearthError('invalid_request', 'the request is invalid');
  const field = fieldOf(first);
  const where = field === '' ? (context ?? 'request') : field;
  const detail =
    first.keyword === 'additionalProperties' ? 'is not a known field' : first.keyword === 'required' ? 'is required' : (first.message ?? 'is invalid');
  return new HearthError('invalid_request', `${context ?? 'request'} ${where} ${detail}`.replace(/^body body /, 'body '), { field: where });
}
