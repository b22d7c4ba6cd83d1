import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareSemver, newestOf, parseSemver } from './semver.ts';

describe('parseSemver', () => {
  it('reads releases as CEL’s normalizing isSemver does, and nothing else', () => {
    const cases: [string, unknown][] = [
      ['1.2.3', { core: [1, 2, 3], preRelease: [] }],
      ['v0.2', { core: [0, 2, 0], preRelease: [] }],
      ['2', { core: [2, 0, 0], preRelease: [] }],
      ['1.0.0-rc.1+build.5', { core: [1, 0, 0], preRelease: ['rc', '1'] }],
      ['nightly', undefined],
      ['1.02.0', undefined],
      ['1.2.3.4', undefined],
      ['', undefined],
    ];
    for (const [text, want] of cases) assert.deepEqual(parseSemver(text), want, text);
  });
});

describe('compareSemver', () => {
  it('orders releases and pre-releases as semantic versioning does', () => {
    const ordered = ['0.1.0', '0.2.0-alpha', '0.2.0-alpha.1', '0.2.0-alpha.beta', '0.2.0-beta.2', '0.2.0-beta.11', '0.2.0-rc.1', '0.2.0', '0.10.0', '1.0.0'];
    for (const [index, text] of ordered.entries()) {
      for (const [other, otherText] of ordered.entries()) {
        const sign = Math.sign(compareSemver(parseSemver(text)!, parseSemver(otherText)!));
        assert.equal(sign, Math.sign(index - other), `${text} vs ${otherText}`);
      }
    }
    assert.equal(compareSemver(parseSemver('v1.2')!, parseSemver('1.2.0+x')!), 0);
  });
});

describe('newestOf', () => {
  it('keeps the newest release, a tag that is none counting for nothing', () => {
    const cases: [string | undefined, string | undefined, string | undefined][] = [
      [undefined, undefined, undefined],
      [undefined, '0.1.0', '0.1.0'],
      ['0.3.0', '0.1.0', '0.3.0'],
      ['0.1.0', '0.3.0', '0.3.0'],
      ['0.3.0', 'nightly', '0.3.0'],
      [undefined, 'nightly', undefined],
      ['nightly', '0.2.0', '0.2.0'],
    ];
    for (const [newest, version, want] of cases) assert.equal(newestOf(newest, version), want, `${String(newest)} + ${String(version)}`);
  });
});
