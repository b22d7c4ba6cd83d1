/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseInline, parseRichText, safeHref, type Block, type Inline } from './rich-text.ts';

const text = (value: string): Inline => ({ kind: 'text', text: value });

test('plain text is one paragraph of text; lines of it are broken, blank lines part paragraphs', () => {
  assert.deepEqual(parseRichText('hello there'), [{ kind: 'paragraph', children: [text('hello there')] }]);
  assert.deepEqual(parseRichText('one\ntwo\n\nthree'), [
    { kind: 'paragraph', children: [text('one'), { kind: 'break' }, text('two')] },
    { kind: 'paragraph', children: [text('three')] },
  ]);
});

test('bold, italic and code inline; code keeps what is in it as text', () => {
  assert.deepEqual(parseInline('a **b** *c* _d_ `x **y**`', 0), [
    text('a '),
    { kind: 'strong', children: [text('b')] },
    text(' '),
    { kind: 'em', children: [text('c')] },
    text(' '),
    { kind: 'em', children: [text('d')] },
    text(' '),
    { kind: 'code', text: 'x **y**' },
  ]);
  assert.deepEqual(parseInline('**bold and _italic_**', 0), [{ kind: 'strong', children: [text('bold and '), { kind: 'em', children: [text('italic')] }] }]);
});

test('underscores inside a word, lone stars and unclosed markers are text', () => {
  assert.deepEqual(parseInline('snake_case_name and 2 * 3 * 4 and **open', 0), [text('snake_case_name and 2 * 3 * 4 and **open')]);
  assert.deepEqual(parseInline('\\*not italic\\*', 0), [text('*not italic*')]);
});

test('links: labelled and bare, http, https and mailto only', () => {
  assert.deepEqual(parseInline('see [the docs](https://example.com/a?b=1) or https://hearth.dev/x.', 0), [
    text('see '),
    { kind: 'link', href: 'https://example.com/a?b=1', children: [text('the docs')] },
    text(' or '),
    { kind: 'link', href: 'https://hearth.dev/x', children: [text('https://hearth.dev/x')] },
    text('.'),
  ]);
  assert.deepEqual(parseInline('[mail](mailto:ops@example.com)', 0), [{ kind: 'link', href: 'mailto:ops@example.com', children: [text('mail')] }]);
  for (const target of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', '/relative', 'example.com']) {
    assert.deepEqual(parseInline(`[x](${target})`, 0), [text(`[x](${target})`)], target);
  }
});

test('safeHref judges the parsed address, whatever its spelling', () => {
  assert.equal(safeHref('https://example.com'), 'https://example.com/');
  assert.equal(safeHref('java\tscript:alert(1)'), undefined);
  assert.equal(safeHref('&#106;avascript:alert(1)'), undefined);
  assert.equal(safeHref('  javascript:alert(1)'), undefined);
  assert.equal(safeHref('HTTPS://EXAMPLE.COM'), 'https://example.com/');
});

test('mentions are nodes, wherever they stand', () => {
  assert.deepEqual(parseInline('hi <@u-1>, **<@u-2>**', 0), [
    text('hi '),
    { kind: 'mention', userId: 'u-1' },
    text(', '),
    { kind: 'strong', children: [{ kind: 'mention', userId: 'u-2' }] },
  ]);
});

test('code blocks, quotes and lists', () => {
  assert.deepEqual(parseRichText('```ts\nconst a = **1**;\n<b>x</b>\n```\nafter'), [
    { kind: 'codeBlock', text: 'const a = **1**;\n<b>x</b>' },
    { kind: 'paragraph', children: [text('after')] },
  ]);
  assert.deepEqual(parseRichText('```\nnever closed'), [{ kind: 'codeBlock', text: 'never closed' }]);
  assert.deepEqual(parseRichText('> quoted **bold**\n> more\nthen'), [
    {
      kind: 'quote',
      children: [{ kind: 'paragraph', children: [text('quoted '), { kind: 'strong', children: [text('bold')] }, { kind: 'break' }, text('more')] }],
    },
    { kind: 'paragraph', children: [text('then')] },
  ]);
  assert.deepEqual(parseRichText('- one\n- *two*\n1. first\n2) second'), [
    { kind: 'list', ordered: false, items: [[text('one')], [{ kind: 'em', children: [text('two')] }]] },
    { kind: 'list', ordered: true, items: [[text('first')], [text('second')]] },
  ]);
});

test('nesting is bounded: deep quotes and emphasis end as text', () => {
  const depth = (blocks: readonly Block[]): number => blocks.reduce((max, block) => Math.max(max, block.kind === 'quote' ? 1 + depth(block.children) : 0), 0);
  assert.equal(depth(parseRichText('>'.repeat(4000) + ' deep')), 3);
  const inlineDepth = (nodes: readonly Inline[]): number =>
    nodes.reduce((max, node) => Math.max(max, 'children' in node ? 1 + inlineDepth(node.children) : 0), 0);
  assert.ok(inlineDepth(parseInline('*'.repeat(2000) + 'x' + '*'.repeat(2000), 0)) <= 4);
});

test('markup in a body is text, never an element', () => {
  const blocks = parseRichText('<img src=x onerror=alert(1)> <script>alert(1)</script>');
  assert.deepEqual(blocks, [{ kind: 'paragraph', children: [text('<img src=x onerror=alert(1)> <script>alert(1)</script>')] }]);
});
