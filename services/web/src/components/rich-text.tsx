import type { ComponentChildren } from 'preact';
import { useMemo } from 'preact/hooks';
import { parseRichText, type Block, type Inline } from '../rich-text.ts';

export interface MentionNames {
  readonly nameOf: (id: string) => string | null;
  readonly meId: string;
}

/** A body's Markdown subset as elements whose text is text nodes: nothing in a body becomes HTML. */
export function RichText(props: { readonly body: string } & MentionNames) {
  const blocks = useMemo(() => parseRichText(props.body), [props.body]);
  return <>{blocks.map((block, i) => renderBlock(block, i, props))}</>;
}

function renderBlock(block: Block, key: number, names: MentionNames): ComponentChildren {
  switch (block.kind) {
    case 'paragraph':
      return <p key={key}>{renderInlines(block.children, names)}</p>;
    case 'codeBlock':
      return (
        <pre key={key}>
          <code>{block.text}</code>
        </pre>
      );
    case 'quote':
      return <blockquote key={key}>{block.children.map((child, i) => renderBlock(child, i, names))}</blockquote>;
    case 'list': {
      const items = block.items.map((item, i) => <li key={i}>{renderInlines(item, names)}</li>);
      return block.ordered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>;
    }
  }
}

function renderInlines(nodes: readonly Inline[], names: MentionNames): ComponentChildren[] {
  return nodes.map((node, i) => renderInline(node, i, names));
}

function renderInline(node: Inline, key: number, names: MentionNames): ComponentChildren {
  switch (node.kind) {
    case 'text':
      return node.text;
    case 'break':
      return <br key={key} />;
    case 'code':
      return <code key={key}>{node.text}</code>;
    case 'strong':
      return <strong key={key}>{renderInlines(node.children, names)}</strong>;
    case 'em':
      return <em key={key}>{renderInlines(node.children, names)}</em>;
    case 'link':
      // A new tab that cannot reach back into this one (window.opener) nor learn where the click came from.
      return (
        <a key={key} href={node.href} target="_blank" rel="noopener noreferrer">
          {renderInlines(node.children, names)}
        </a>
      );
    case 'mention':
      return (
        <span key={key} class={node.userId === names.meId ? 'mention me' : 'mention'} data-testid="mention" data-user-id={node.userId}>
          @{names.nameOf(node.userId) ?? 'unknown'}
        </span>
      );
  }
}
