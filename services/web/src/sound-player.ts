import { safeStorage } from './local-storage.ts';
import { SOUND_SCORES, type Note } from './sounds.ts';

/**
 * Plays the scores of sounds.ts through the Web Audio API, unless the person muted sounds in this
 * browser (kept per user in localStorage). The AudioContext is made on the first sound: browsers
 * let it run once the person has interacted with the page, which a chat page they type in has.
 */
export interface SoundPlayer {
  play(name: string): void;
  isMuted(): boolean;
  setMuted(muted: boolean): void;
}

/** Every note's peak is this share of full scale: a chat sound should not startle. */
const MASTER_GAIN = 0.2;

const mutedKey = (userId: string): string => `hearth.sounds.muted.${userId}`;

export function createSoundPlayer(userId: string): SoundPlayer {
  let context: AudioContext | null = null;
  const storage = safeStorage();
  const isMuted = (): boolean => storage?.getItem(mutedKey(userId)) === 'true';
  return {
    play(name) {
      const score = SOUND_SCORES[name];
      if (score === undefined || isMuted()) return;
      context ??= new AudioContext();
      void context.resume().catch(() => undefined);
      for (const note of score) scheduleNote(context, context.currentTime + 0.02, note);
    },
    isMuted,
    setMuted(muted) {
      if (muted) storage?.setItem(mutedKey(userId), 'true');
      else storage?.removeItem(mutedKey(userId));
    },
  };
}

/** One oscillator with a short attack and an exponential fade, so notes neither click nor ring on. */
function scheduleNote(context: AudioContext, start: number, note: Note): void {
  const at = start + note.at;
  const end = at + note.dur;
  const oscillator = context.createOscillator();
  oscillator.type = note.wave;
  oscillator.frequency.setValueAtTime(note.freq, at);
  if (note.to !== undefined) oscillator.frequency.exponentialRampToValueAtTime(note.to, end);
  const gain = context.createGain();
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.linearRampToValueAtTime(note.gain * MASTER_GAIN, at + 0.01);
  gain.gain.exponentialRampToValueAtTime(0.0001, end);
  oscillator.connect(gain).connect(context.destination);
  oscillator.start(at);
  oscillator.stop(end + 0.02);
}
