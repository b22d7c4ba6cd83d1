import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HearthError } from '../errors.ts';
import {
  canChangeMessage,
  canConvertRoom,
  canManageRoom,
  defaultInvolvement,
  directKey,
  hasMentionCandidate,
  isUnread,
  mentionedUserIds,
  normaliseBody,
  normaliseBoost,
  soundOf,
  userUpdateRefusal,
} from './rules.ts';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';
const D = '44444444-4444-4444-8444-444444444444';

function refusedOn(field: string, code = 'invalid_request') {
  return (error: unknown) => error instanceof HearthError && error.field === field && error.code === code;
}

describe('message rules', () => {
  it('trims a body and counts characters, not UTF-16 units', () => {
    assert.equal(normaliseBody('  hi  ', 10), 'hi');
    assert.equal(normaliseBody('😀'.repeat(5), 5), '😀'.repeat(5));
    assert.throws(() => normaliseBody('😀'.repeat(6), 5), refusedOn('body', 'payload_too_large'));
    assert.throws(() => normaliseBody('   ', 5), refusedOn('body'));
    assert.throws(() => normaliseBody('a\u0000b', 5), refusedOn('body'));
  });

  it('finds mentions of members only, each once, in order', () => {
    const body = `<@${B}> and <@${A}> and <@${B}> and <@${C}>`;
    assert.deepEqual(mentionedUserIds(body, new Set([A, B])), [B, A]);
  });

  it('tells a body that could mention someone from one that cannot, the same on every call', () => {
    for (let call = 0; call < 2; call += 1) {
      assert.equal(hasMentionCandidate(`hi <@${C}>, and you`), true);
      assert.equal(hasMentionCandidate('hi @Cy <@not-an-id> <@>'), false);
    }
    // Whatever has no candidate has no mention, whoever the members are.
    assert.deepEqual(mentionedUserIds('hi @Cy <@not-an-id>', new Set([A, B, C])), []);
  });

  const sounds: Array<[string, string | null]> = [
    ['/play trombone', 'trombone'],
    ['/play   Tada  ', 'tada'],
    ['hello /play trombone', null],
    ['/playful', null],
  ];
  for (const [body, sound] of sounds) it(`reads the sound of ${JSON.stringify(body)}`, () => assert.equal(soundOf(body), sound));
  it('refuses an unknown or missing sound', () => {
    assert.throws(() => soundOf('/play kazoo'), refusedOn('body'));
    assert.throws(() => soundOf('/play'), refusedOn('body'));
  });

  it('limits boosts to 16 characters', () => {
    assert.equal(normaliseBoost(' 🎉🎉 '), '🎉🎉');
    assert.equal(normaliseBoost('x'.repeat(16)), 'x'.repeat(16));
    assert.throws(() => normaliseBoost('x'.repeat(17)), refusedOn('content'));
    assert.throws(() => normaliseBoost(' '), refusedOn('content'));
  });
});

describe('permissions', () => {
  const member = { id: A, role: 'member' as const };
  const admin = { id: C, role: 'administrator' as const };
  it('lets authors and administrators change a message', () => {
    assert.equal(canChangeMessage(member, { authorId: A }), true);
    assert.equal(canChangeMessage(member, { authorId: B }), false);
    assert.equal(canChangeMessage(admin, { authorId: B }), true);
  });
  it('lets the creator, administrators and any direct participant manage a room', () => {
    const membership = { roomId: 'r', userId: A, involvement: 'everything' as const, readSeq: 0, createdAt: '' };
    assert.equal(canManageRoom(member, { kind: 'closed', createdBy: A }, membership), true);
    assert.equal(canManageRoom(member, { kind: 'closed', createdBy: B }, membership), false);
    assert.equal(canManageRoom(admin, { kind: 'closed', createdBy: B }, null), true);
    assert.equal(canManageRoom(member, { kind: 'direct', createdBy: B }, membership), true);
    assert.equal(canManageRoom(member, { kind: 'direct', createdBy: B }, null), false);
  });
  it('converts open and closed rooms but never a direct one', () => {
    assert.equal(canConvertRoom('open', 'closed'), true);
    assert.equal(canConvertRoom('closed', 'open'), true);
    assert.equal(canConvertRoom('direct', 'open'), false);
    assert.equal(canConvertRoom('open', 'direct'), false);
  });
});

describe('rooms', () => {
  it('keys a direct room by its set of people', () => {
    assert.equal(directKey([B, A, B]), directKey([A, B]));
    assert.notEqual(directKey([A, B]), directKey([A, C]));
  });
  it('defaults involvement by kind', () => {
    assert.equal(defaultInvolvement('direct'), 'everything');
    assert.equal(defaultInvolvement('open'), 'mentions');
  });
  it('marks a room unread when a message is newer than the read marker, unless hidden', () => {
    assert.equal(isUnread({ lastMessageSeq: 5 }, { readSeq: 4, involvement: 'mentions' }), true);
    assert.equal(isUnread({ lastMessageSeq: 5 }, { readSeq: 5, involvement: 'mentions' }), false);
    assert.equal(isUnread({ lastMessageSeq: 5 }, { readSeq: 0, involvement: 'invisible' }), false);
  });
});

describe('userUpdateRefusal', () => {
  const member = { id: A, role: 'member' as const };
  const admin = { id: C, role: 'administrator' as const };
  const roles: Record<string, 'member' | 'administrator' | 'bot'> = { [B]: 'member', [C]: 'administrator', [A]: 'member', [D]: 'bot' };
  const cases: Array<[string, { id: string; role: 'member' | 'administrator' }, string, object, string | null]> = [
    ['a member renames themselves', member, A, { name: 'x' }, null],
    ['a member renames someone else', member, B, { name: 'x' }, 'forbidden'],
    ['an administrator renames someone', admin, B, { name: 'x' }, null],
    ['a member promotes themselves', member, A, { role: 'administrator' }, 'forbidden'],
    ['an administrator promotes someone', admin, B, { role: 'administrator' }, null],
    ['an administrator deactivates themselves', admin, C, { active: false }, 'forbidden'],
    ['an administrator makes a person a bot', admin, B, { role: 'bot' }, 'invalid_request'],
    ['an administrator makes a bot a member', admin, D, { role: 'member' }, 'invalid_request'],
    ['an administrator deactivates a bot', admin, D, { active: false }, null],
  ];
  for (const [what, actor, targetId, change, code] of cases) {
    it(`${what}: ${code ?? 'allowed'}`, () => {
      const refusal = userUpdateRefusal(actor, { id: targetId, role: roles[targetId] ?? 'member' }, { actorId: actor.id, userId: targetId, ...change });
      assert.equal(refusal?.code ?? null, code);
    });
  }
});
