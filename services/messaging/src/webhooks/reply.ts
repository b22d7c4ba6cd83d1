/**
 * The text a webhook answered to post back into the room as the bot, as in Campfire: a
 * text/plain body, or a JSON object's `body` string. Null when there is nothing to post.
 */
export function replyText(contentType: string | null, body: string): string | null {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'text/plain') return nonEmpty(body);
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) return nonEmpty(bodyField(body));
  return null;
}

function bodyField(json: string): string {
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed === 'object' && parsed !== null && 'body' in parsed && typeof parsed.body === 'string') return parsed.body;
  } catch {
    // Not JSON after all: nothing to post.
  }
  return '';
}

function nonEmpty(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}
