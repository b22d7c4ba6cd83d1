import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareQuantities, quantityValue } from './quantity.ts';

describe('quantityValue', () => {
  const cases: Array<[string | number | undefined, number | undefined]> = [
    ['10Gi', 10 * 2 ** 30],
    ['1024Mi', 2 ** 30],
    ['1.5Ki', 1536],
    ['20G', 20e9],
    ['500m', 0.5],
    ['1e3', 1000],
    ['7', 7],
    [7, 7],
    ['.5', 0.5],
    ['5.', 5],
    ['25e-1', 2.5],
    [' 2Mi ', 2 * 2 ** 20],
    ['0.5Ki', 512],
    ['ten', undefined],
    ['10 Gi', undefined],
    ['.', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [quantity, value] of cases) it(`${JSON.stringify(quantity)} → ${value}`, () => assert.equal(quantityValue(quantity), value));
});

describe('compareQuantities', () => {
  // What the API server writes back for what a spec says: the same amount, spelt canonically.
  const equal: Array<[string | number, string | number]> = [
    ['0.5', '500m'],
    ['0.7', '700m'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    [2, '2'],
    ['1e3', '1k'],
    ['100m', '0.1'],
    ['0.001', '1m'],
    ['1000000u', '1'],
  ];
  for (const [a, b] of equal) it(`${a} = ${b}`, () => assert.equal(compareQuantities(a, b), 0));
  const ordered: Array<[string | number, string | number]> = [
    ['5Gi', '10Gi'],
    ['1G', '1Gi'],
    ['999m', '1'],
    ['0.3', '301m'],
  ];
  for (const [a, b] of ordered) {
    it(`${a} < ${b}`, () => {
      assert.equal(compareQuantities(a, b), -1);
      assert.equal(compareQuantities(b, a), 1);
    });
  }
  it('is undefined for what is not a quantity', () => assert.equal(compareQuantities('lots', '1'), undefined));
});
