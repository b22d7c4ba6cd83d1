import type { RoomEvent } from './api-types.ts';
import { isFresh } from './freshness.ts';

/**
 * Campfire's `/play` sounds, made here: each is a short score of synthesised notes that the Web
 * Audio API plays (sound-player.ts), so the project ships no recordings. Which events play one is
 * decided here too: a `/play` message just posted in the room on screen, not one read from history
 * or caught up on after a reconnect.
 */

export interface Note {
  /** Seconds from the sound's start. */
  readonly at: number;
  readonly freq: number;
  /** A glide to this frequency over the note. */
  readonly to?: number;
  readonly dur: number;
  readonly wave: 'sine' | 'square' | 'sawtooth' | 'triangle';
  /** 0–1, before the player's master volume. */
  readonly gain: number;
}

type Wave = Note['wave'];

/** Notes one after the other, each `step` seconds long. */
function run(freqs: readonly number[], step: number, wave: Wave, gain = 0.8): Note[] {
  return freqs.map((freq, i) => ({ at: i * step, freq, dur: step * 0.9, wave, gain }));
}

/** Notes one after the other with their own lengths. */
function phrase(notes: readonly (readonly [freq: number, dur: number])[], wave: Wave, gain = 0.8): Note[] {
  let at = 0;
  return notes.map(([freq, dur]) => {
    const note = { at, freq, dur: dur * 0.92, wave, gain };
    at += dur;
    return note;
  });
}

/** One note: `more` gives its gain (0.8), its start (0) and a glide's end frequency. */
const tone = (freq: number, dur: number, wave: Wave, more: Partial<Pick<Note, 'gain' | 'at' | 'to'>> = {}): Note => ({
  at: 0,
  gain: 0.8,
  ...more,
  freq,
  dur,
  wave,
});

/** Three quick chirps, twice. */
const crickets = [0, 0.6].flatMap((start) => [0, 0.07, 0.14].map((offset) => tone(4200, 0.04, 'square', { gain: 0.25, at: start + offset })));

export const SOUND_SCORES: Readonly<Record<string, readonly Note[]>> = {
  bell: [tone(1320, 1.2, 'sine'), tone(2640, 0.8, 'sine', { gain: 0.3 })],
  bezos: run([300, 280, 260, 240, 220], 0.14, 'square', 0.4),
  bueller: phrase(
    [
      [196, 0.4],
      [165, 0.6],
    ],
    'triangle',
  ),
  clowntown: run([523, 494, 523, 587, 523, 494, 440], 0.12, 'sawtooth', 0.35),
  cottoneyejoe: run([392, 392, 440, 494, 494, 440, 392], 0.15, 'sawtooth', 0.35),
  crickets,
  dadgummit: phrase(
    [
      [220, 0.2],
      [196, 0.2],
      [175, 0.45],
    ],
    'triangle',
  ),
  dangerzone: phrase(
    [
      [147, 0.25],
      [147, 0.25],
      [165, 0.25],
      [196, 0.6],
    ],
    'sawtooth',
    0.4,
  ),
  drama: phrase(
    [
      [196, 0.25],
      [185, 0.25],
      [175, 0.9],
    ],
    'sawtooth',
    0.45,
  ),
  greatjob: run([523, 659, 784, 1047], 0.12, 'sine'),
  horn: [tone(233, 0.8, 'sawtooth', { gain: 0.35 }), tone(349, 0.8, 'sawtooth', { gain: 0.3 })],
  horror: [tone(880, 1.2, 'sine', { to: 440, gain: 0.6 }), tone(466, 1.2, 'triangle', { gain: 0.3 })],
  inconceivable: phrase(
    [
      [330, 0.2],
      [392, 0.2],
      [330, 0.2],
      [262, 0.5],
    ],
    'triangle',
  ),
  live: phrase(
    [
      [392, 0.2],
      [392, 0.2],
      [523, 0.5],
    ],
    'square',
    0.35,
  ),
  loggins: run([349, 392, 440, 523], 0.18, 'sawtooth', 0.4),
  mario: phrase(
    [
      [988, 0.08],
      [1319, 0.4],
    ],
    'square',
    0.35,
  ),
  nyan: run([740, 831, 554, 622, 494, 554, 466, 494], 0.1, 'square', 0.3),
  ohmy: [tone(330, 0.5, 'sine', { to: 523 })],
  pushit: phrase(
    [
      [131, 0.2],
      [131, 0.2],
      [156, 0.2],
      [175, 0.4],
    ],
    'square',
    0.4,
  ),
  rimshot: [tone(200, 0.05, 'triangle'), tone(1800, 0.05, 'square', { gain: 0.3, at: 0.15 }), tone(2200, 0.25, 'square', { gain: 0.2, at: 0.35 })],
  sax: [tone(294, 0.6, 'sawtooth', { to: 392, gain: 0.4 }), tone(370, 0.4, 'sawtooth', { gain: 0.4, at: 0.6 })],
  secret: run([392, 494, 587, 784, 988], 0.12, 'sine'),
  tada: [
    tone(392, 0.1, 'sawtooth', { gain: 0.35 }),
    tone(523, 0.8, 'sawtooth', { gain: 0.3, at: 0.15 }),
    tone(659, 0.8, 'sawtooth', { gain: 0.3, at: 0.15 }),
    tone(784, 0.8, 'sawtooth', { gain: 0.3, at: 0.15 }),
  ],
  tmyk: [...run([523, 659, 784], 0.25, 'sine'), tone(1568, 0.6, 'triangle', { gain: 0.3, at: 0.75 })],
  trombone: [
    ...phrase(
      [
        [294, 0.35],
        [277, 0.35],
        [262, 0.35],
      ],
      'sawtooth',
      0.4,
    ),
    tone(247, 1.0, 'sawtooth', { to: 233, gain: 0.4, at: 1.05 }),
  ],
  vuvuzela: [tone(233, 1.5, 'sawtooth', { gain: 0.4 })],
  what: [tone(220, 0.35, 'square', { to: 330, gain: 0.35 })],
  yeah: [tone(196, 0.5, 'sawtooth', { to: 294, gain: 0.4 })],
  yodel: run([392, 587, 392, 587, 494, 784], 0.14, 'sine'),
};

/** The sound an event should play now, or null: a fresh `/play` message in the room on screen. */
export function soundToPlay(event: RoomEvent, currentRoomId: string | null, now: number): string | null {
  if (event.type !== 'message.created' || event.roomId !== currentRoomId) return null;
  const sound = event.message.sound;
  if (sound === null || SOUND_SCORES[sound] === undefined) return null;
  return isFresh(event.at, now) ? sound : null;
}
