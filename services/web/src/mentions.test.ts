/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { encodeMentions, findMentionQuery, insertMention, matchMembers, movedHighlight, plainBody, segmentBody, suggestionKeyOf } from './mentions.ts';

const ADA = { id: '11111111-1111-4111-8111-111111111111', name: 'Ada Lovelace' };
const AL = { id: '22222222-2222-4222-8222-222222222222', name: 'Ada' };
const GRACE = { id: '33333333-3333-4333-8333-333333333333', name: 'Grace Hopper' };
const nameOf = (id: string): string | null => [ADA, AL, GRACE].find((p) => p.id === id)?.name ?? null;

test('a body splits into text and mentions; markup stays text', () => {
  assert.deepEqual(segmentBody(`hi <@${ADA.id}>, <b>x</b>`, nameOf), [
    { kind: 'text', text: 'hi ' },
    { kind: 'mention', userId: ADA.id, name: 'Ada Lovelace' },
    { kind: 'text', text: ', <b>x</b>' },
  ]);
  assert.equal(plainBody(`<@${GRACE.id}> <@nobody>`, nameOf), '@Grace Hopper @unknown');
});

test('the @word before the caret is the mention query', () => {
  assert.deepEqual(findMentionQuery('hi @gr', 6), { start: 3, query: 'gr' });
  assert.deepEqual(findMentionQuery('@', 1), { start: 0, query: '' });
  assert.equal(findMentionQuery('mail a@b', 8), null);
  assert.equal(findMentionQuery('hi @gr there', 12), null);
});

test('members match on the name or any word of it', () => {
  assert.deepEqual(
    matchMembers([ADA, AL, GRACE], 'ada').map((m) => m.name),
    ['Ada', 'Ada Lovelace'],
  );
  assert.deepEqual(
    matchMembers([ADA, AL, GRACE], 'hop').map((m) => m.name),
    ['Grace Hopper'],
  );
  assert.deepEqual(matchMembers([ADA, AL, GRACE], 'x'), []);
});

test('choosing a member replaces the typed @word', () => {
  assert.deepEqual(insertMention('hi @gr', { start: 3, query: 'gr' }, 6, 'Grace Hopper'), { text: 'hi @Grace Hopper ', caret: 17 });
});

test('@Name becomes <@id>, the longest name winning', () => {
  assert.equal(encodeMentions('@Ada Lovelace and @Ada, ask @Grace Hopper.', [ADA, AL, GRACE]), `<@${ADA.id}> and <@${AL.id}>, ask <@${GRACE.id}>.`);
  assert.equal(encodeMentions('mail ada@Ada.org', [AL]), 'mail ada@Ada.org');
  assert.equal(encodeMentions('@Adam is not Ada', [AL]), '@Adam is not Ada');
});

test('the suggestion list takes the arrows, Enter, Tab and Escape; every other key goes to the text', () => {
  const cases: [key: string, expected: ReturnType<typeof suggestionKeyOf>][] = [
    ['ArrowDown', { kind: 'move', step: 1 }],
    ['ArrowUp', { kind: 'move', step: -1 }],
    ['Enter', { kind: 'choose' }],
    ['Tab', { kind: 'choose' }],
    ['Escape', { kind: 'dismiss' }],
    ['ArrowLeft', null],
    ['a', null],
    [' ', null],
  ];
  for (const [key, expected] of cases) assert.deepEqual(suggestionKeyOf(key), expected, key);
});

test('the highlight wraps around the ends of the list', () => {
  const cases: [active: number, step: 1 | -1, count: number, expected: number][] = [
    [0, 1, 3, 1],
    [2, 1, 3, 0],
    [0, -1, 3, 2],
    [1, -1, 3, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
  ];
  for (const [active, step, count, expected] of cases) assert.equal(movedHighlight(active, step, count), expected, `${active} ${step} of ${count}`);
});
