import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOwnWrites, objectPath } from './own-writes.ts';
import type { KubeObject } from './kube-object.ts';

const path = '/apis/apps/v1/namespaces/team/deployments/chat';
const at = (resourceVersion: string): KubeObject => ({ metadata: { namespace: 'team', name: 'chat', resourceVersion } });

/** Sifts `object` and says whether it passed (now or later, into `passed`). */
function sifter() {
  const writes = createOwnWrites();
  const passed: string[] = [];
  const sift = (object: KubeObject): void => writes.sift(path, object, () => void passed.push(object.metadata?.resourceVersion ?? ''));
  return { writes, passed, sift };
}

describe('own writes', () => {
  it('drops the echo of a write that arrives before its answer', () => {
    const { writes, passed, sift } = sifter();
    const write = writes.begin(path);
    sift(at('7'));
    assert.deepEqual(passed, []);
    write.end(at('7'));
    assert.deepEqual(passed, []);
    sift(at('9'));
    assert.deepEqual(passed, ['9'], 'a later change by someone else passes');
  });

  it('drops the echo of a write that arrives after its answer, from each informer that hears it, for a minute', () => {
    let clock = 0;
    const writes = createOwnWrites({ now: () => clock });
    const passed: string[] = [];
    const sift = (object: KubeObject): void => writes.sift(path, object, () => void passed.push(object.metadata?.resourceVersion ?? ''));
    writes.begin(path).end(at('7'));
    sift(at('7'));
    sift(at('7'));
    assert.deepEqual(passed, []);
    clock = 60_000;
    sift(at('7'));
    assert.deepEqual(passed, ['7'], 'forgotten after a minute');
  });

  it('passes a change by someone else made while the write was in flight, when the answer comes', () => {
    const { writes, passed, sift } = sifter();
    const write = writes.begin(path);
    sift(at('6'));
    sift(at('7'));
    assert.deepEqual(passed, []);
    write.end(at('7'));
    assert.deepEqual(passed, ['6']);
  });

  it('passes every held event when the write fails', () => {
    const { writes, passed, sift } = sifter();
    const write = writes.begin(path);
    sift(at('6'));
    write.end(undefined);
    assert.deepEqual(passed, ['6']);
    sift(at('8'));
    assert.deepEqual(passed, ['6', '8']);
  });

  it('holds events until the last of overlapping writes is answered', () => {
    const { writes, passed, sift } = sifter();
    const first = writes.begin(path);
    const second = writes.begin(path);
    first.end(at('7'));
    sift(at('7'));
    sift(at('8'));
    assert.deepEqual(passed, []);
    second.end(at('8'));
    assert.deepEqual(passed, []);
    sift(at('8'));
    sift(at('9'));
    assert.deepEqual(passed, ['9']);
  });

  it('forgets the answer of a write that changed nothing at the next write', () => {
    const { writes, passed, sift } = sifter();
    // A no-op apply is answered with the version the object already had: no event follows.
    writes.begin(path).end(at('5'));
    const write = writes.begin(path);
    write.end(at('6'));
    sift(at('5'));
    sift(at('6'));
    assert.deepEqual(passed, ['5']);
  });

  it('leaves other objects alone', () => {
    const writes = createOwnWrites();
    const passed: string[] = [];
    writes.begin(path);
    writes.sift(`${path}-other`, at('7'), () => passed.push('other'));
    assert.deepEqual(passed, ['other']);
  });

  it('names an object by the path a write to it takes', () => {
    assert.equal(objectPath({ group: 'apps', version: 'v1', plural: 'deployments', namespace: 'elsewhere' }, at('1')), path);
    assert.equal(objectPath({ group: '', version: 'v1', plural: 'services' }, at('1')), '/api/v1/namespaces/team/services/chat');
  });
});
