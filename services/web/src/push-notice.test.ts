import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBeingLookedAt, parseNotice } from './push-notice.ts';

const notice = { v: 1, kind: 'message', roomId: 'r', messageId: 'm', title: 'Ada in general', body: 'hi', path: '/rooms/r' };

describe('parseNotice', () => {
  it('reads the notice the server pushes', () => {
    assert.deepEqual(parseNotice(JSON.stringify(notice)), { roomId: 'r', messageId: 'm', title: 'Ada in general', body: 'hi', path: '/rooms/r' });
  });

  it('ignores anything else: no data, not JSON, another version, a missing field, a path off this site', () => {
    for (const text of [
      null,
      'hello',
      '[]',
      JSON.stringify({ ...notice, v: 2 }),
      JSON.stringify({ ...notice, title: 3 }),
      JSON.stringify({ ...notice, path: '//evil.example/' }),
      JSON.stringify({ ...notice, path: 'https://evil.example/' }),
    ]) {
      assert.equal(parseNotice(text), null, String(text));
    }
  });
});

describe('isBeingLookedAt', () => {
  it('is true only for a visible, focused window', () => {
    assert.equal(isBeingLookedAt([]), false);
    assert.equal(
      isBeingLookedAt([
        { visibilityState: 'hidden', focused: false },
        { visibilityState: 'visible', focused: false },
      ]),
      false,
    );
    assert.equal(
      isBeingLookedAt([
        { visibilityState: 'hidden', focused: false },
        { visibilityState: 'visible', focused: true },
      ]),
      true,
    );
  });
});
