/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- a test, never bundled: the server's own list of sounds
import { SOUNDS } from '@hearth/core';
import type { RoomEvent } from './api-types.ts';
import { FRESH_MS } from './freshness.ts';
import { SOUND_SCORES, soundToPlay } from './sounds.ts';

test('every sound the server accepts has a score, and every score is a sound the server accepts', () => {
  assert.deepEqual(Object.keys(SOUND_SCORES).sort(), [...SOUNDS].sort());
});

test('each score is audible and short: notes within hearing and the first 3 seconds', () => {
  for (const [name, notes] of Object.entries(SOUND_SCORES)) {
    assert.ok(notes.length > 0, name);
    for (const note of notes) {
      for (const freq of [note.freq, note.to ?? note.freq]) assert.ok(freq >= 60 && freq <= 8_000, `${name}: ${freq} Hz`);
      assert.ok(note.at >= 0 && note.dur > 0 && note.at + note.dur <= 3, `${name}: a note at ${note.at} s for ${note.dur} s`);
      assert.ok(note.gain > 0 && note.gain <= 1, `${name}: gain ${note.gain}`);
    }
  }
});

const posted = (sound: string | null, roomId = 'r1', at = new Date(1_000_000).toISOString()): RoomEvent =>
  ({ v: 1, type: 'message.created', roomId, seq: 7, at, message: { sound } }) as unknown as RoomEvent;

test('a fresh /play message in the room on screen plays; history, other rooms and other events do not', () => {
  const now = 1_000_000;
  assert.equal(soundToPlay(posted('tada'), 'r1', now + 500), 'tada');
  assert.equal(soundToPlay(posted('tada'), 'r2', now), null, 'another room');
  assert.equal(soundToPlay(posted('tada'), null, now), null, 'no room on screen');
  assert.equal(soundToPlay(posted(null), 'r1', now), null, 'not a /play message');
  assert.equal(soundToPlay(posted('tada'), 'r1', now + FRESH_MS + 1), null, 'caught up on after a reconnect');
  assert.equal(soundToPlay(posted('unheard-of'), 'r1', now), null, 'a sound this client has no score for');
  assert.equal(soundToPlay({ ...posted('tada'), type: 'message.updated' } as RoomEvent, 'r1', now), null);
});
