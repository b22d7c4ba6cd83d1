import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Informer, InformerHandlers, KubeObject } from '@hearth/kube-runtime';
import type { Hearth, HearthSpec } from './api/index.ts';
import { createSecretReferenceIndex } from './secret-watch.ts';
import { hearthFixture } from './tiers/testing.ts';

type HearthObject = Hearth & KubeObject;

/** The handlers the index adds to the Hearth informer, driven by hand. */
function hearthEvents(): { informer: Informer<HearthObject>; handlers: () => InformerHandlers<HearthObject> } {
  let added: InformerHandlers<HearthObject> | undefined;
  const informer = {
    addHandlers(handlers: InformerHandlers<HearthObject>) {
      added = handlers;
      return () => undefined;
    },
  } as unknown as Informer<HearthObject>;
  return {
    informer,
    handlers: () => {
      if (added === undefined) throw new Error('no handlers added');
      return added;
    },
  };
}

const secret = (namespace: string, name: string): KubeObject => ({ metadata: { namespace, name } });
const hearth = (name: string, namespace: string, spec: HearthSpec): HearthObject => hearthFixture(spec, { name, namespace }) as HearthObject;

describe('createSecretReferenceIndex', () => {
  it('maps a Secret to the Hearths of its namespace that read it, following their specs as they change and go', () => {
    const { informer, handlers } = hearthEvents();
    const index = createSecretReferenceIndex(informer);
    const a = hearth('a', 'chat', { tier: 'single', database: { external: { secretRef: { name: 'shared-pg' } } } });
    const b = hearth('b', 'chat', { tier: 'single', database: { external: { secretRef: { name: 'shared-pg' } } } });
    const elsewhere = hearth('c', 'other', { tier: 'single', database: { external: { secretRef: { name: 'shared-pg' } } } });
    handlers().onAdd?.(a);
    handlers().onAdd?.(b);
    handlers().onAdd?.(elsewhere);
    assert.deepEqual(index.keysOf(secret('chat', 'shared-pg')).sort(), ['chat/a', 'chat/b']);
    assert.deepEqual(index.keysOf(secret('other', 'shared-pg')), ['other/c']);
    assert.deepEqual(index.keysOf(secret('chat', 'a-session-key')), ['chat/a'], 'a generated Secret, labelled or not');
    assert.deepEqual(index.keysOf(secret('chat', 'unrelated')), []);

    const moved = hearth('a', 'chat', { tier: 'single', database: { external: { secretRef: { name: 'own-pg' } } } });
    handlers().onUpdate?.(a, moved);
    assert.deepEqual(index.keysOf(secret('chat', 'shared-pg')), ['chat/b']);
    assert.deepEqual(index.keysOf(secret('chat', 'own-pg')), ['chat/a']);

    handlers().onDelete?.(b);
    assert.deepEqual(index.keysOf(secret('chat', 'shared-pg')), []);
    assert.deepEqual(index.keysOf(secret('chat', 'b-session-key')), []);
  });
});
