import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NOT_BLANK } from '@hearth/gateway';
import { fieldOf, validationError } from './validation-error.ts';

describe('validation errors', () => {
  it('names a missing property', () => {
    assert.equal(fieldOf({ instancePath: '', keyword: 'required', params: { missingProperty: 'body' } }), 'body');
  });
  it('names an unexpected property under a path', () => {
    assert.equal(fieldOf({ instancePath: '/user', keyword: 'additionalProperties', params: { additionalProperty: 'x' } }), 'user.x');
  });
  it('names an array item', () => {
    assert.equal(fieldOf({ instancePath: '/memberIds/2', keyword: 'pattern', params: {} }), 'memberIds.2');
  });
  it('makes a 400 with the field', () => {
    const error = validationError([{ instancePath: '/content', keyword: 'maxLength', message: 'must NOT have more than 64 characters', params: {} }], 'body');
    assert.equal(error.status, 400);
    assert.equal(error.field, 'content');
    assert.match(error.message, /content must NOT have more than 64 characters/);
  });
  it('says a name, body or boost of only whitespace is blank, not which pattern it fails', () => {
    const error = validationError([{ instancePath: '/name', keyword: 'pattern', message: 'must match pattern "\\S"', params: { pattern: NOT_BLANK } }], 'body');
    assert.equal(error.message, 'body name must not be blank');
    assert.equal(error.field, 'name');
  });
});
