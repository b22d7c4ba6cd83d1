import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  contentDisposition,
  describeBytes,
  mediaTypeOf,
  normaliseAltText,
  normaliseFileName,
  refuseUnwantedFile,
  servedInline,
  servedType,
  typeAllowed,
} from './file-rules.ts';
import { refusal } from './refusal-of.ts';

describe('what is kept of an uploaded file', () => {
  it('keeps the last segment of a path as the name, and refuses what is no name', () => {
    assert.equal(normaliseFileName('C:\\Users\\ada\\report.pdf'), 'report.pdf');
    assert.equal(normaliseFileName('../../etc/passwd'), 'passwd');
    assert.equal(normaliseFileName('  café menu.txt '), 'café menu.txt');
    for (const bad of ['', '   ', 'dir/', '..', 'a\u0000b', 'tab\there', 'x'.repeat(256)]) {
      assert.equal(refusal(() => normaliseFileName(bad)).field, 'name', JSON.stringify(bad));
    }
  });

  it('keeps alt text trimmed, and none as null', () => {
    assert.equal(normaliseAltText(undefined), null);
    assert.equal(normaliseAltText('   '), null);
    assert.equal(normaliseAltText(' a red kettle '), 'a red kettle');
    assert.equal(refusal(() => normaliseAltText('x'.repeat(1001))).field, 'alt');
  });

  it('reads a declared type without its parameters, and anything malformed as octet-stream', () => {
    assert.equal(mediaTypeOf('Text/Plain; charset=UTF-8'), 'text/plain');
    assert.equal(mediaTypeOf(undefined), 'application/octet-stream');
    assert.equal(mediaTypeOf('nonsense'), 'application/octet-stream');
    assert.equal(mediaTypeOf('text/html<script>'), 'application/octet-stream');
  });

  it('matches types against the configured patterns', () => {
    assert.ok(typeAllowed('image/png', ['image/*']));
    assert.ok(typeAllowed('application/pdf', ['*/*']));
    assert.ok(!typeAllowed('application/pdf', ['image/*', 'text/plain']));
    assert.ok(!typeAllowed('imagex/png', ['image/*']));
  });

  it('refuses an empty file, one over the limit (413, saying both sizes) and one of a type not accepted (415)', () => {
    const limits = { maxBytes: 1024 * 1024, allowedTypes: ['image/*'] };
    assert.deepEqual(refusal(() => refuseUnwantedFile({ size: 0, type: 'image/png' }, limits)).field, 'file');
    const large = refusal(() => refuseUnwantedFile({ size: 3 * 1024 * 1024, type: 'image/png' }, limits));
    assert.deepEqual([large.code, large.field, large.message], ['payload_too_large', 'file', 'the file is 3 MiB; the limit is 1 MiB']);
    const pdf = refusal(() => refuseUnwantedFile({ size: 10, type: 'application/pdf' }, limits));
    assert.deepEqual([pdf.code, pdf.field], ['unsupported_media_type', 'file']);
    refuseUnwantedFile({ size: 1024 * 1024, type: 'image/webp' }, limits);
  });
});

describe('how a file is served', () => {
  it('serves a sniffed image as itself, a passive type as declared, and anything that could run as octet-stream', () => {
    assert.equal(servedType('application/pdf', 'image/png'), 'image/png');
    assert.equal(servedType('application/pdf', null), 'application/pdf');
    for (const active of ['text/html', 'image/svg+xml', 'application/javascript', 'text/xml', 'application/xhtml+xml', 'image/png']) {
      assert.equal(servedType(active, null), 'application/octet-stream', active);
    }
    assert.ok(servedInline('image/jpeg'));
    assert.ok(!servedInline('application/pdf'));
    assert.ok(!servedInline('image/svg+xml'));
  });

  it('names the file in Content-Disposition, exactly in filename* and safely in filename', () => {
    assert.equal(contentDisposition('plan.pdf', false), `attachment; filename="plan.pdf"; filename*=UTF-8''plan.pdf`);
    assert.equal(contentDisposition('a"b\\c%.png', true), `inline; filename="a_b_c_.png"; filename*=UTF-8''a%22b%5Cc%25.png`);
    assert.equal(contentDisposition("Zoë's (1).txt", false), `attachment; filename="Zo_'s (1).txt"; filename*=UTF-8''Zo%C3%AB%27s%20%281%29.txt`);
  });

  it('describes sizes as people read them', () => {
    assert.deepEqual([describeBytes(512), describeBytes(1536), describeBytes(25 * 1024 * 1024)], ['512 bytes', '1.5 KiB', '25 MiB']);
  });
});
