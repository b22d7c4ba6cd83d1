// The Dockerfile and .dockerignore reader, on small inputs; the operator's dockerfile.test.ts reads
// the repository's own with it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copiesOf, execForm, imagePathOf, isIgnored, lastOf, parseDockerfile, parseDockerignore, type Stage } from './dockerfile.ts';

describe('the Dockerfile reader', () => {
  it('reads stages, global ARGs, continuations and where each COPY lands', () => {
    const parsed = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'ARG V=1.2',
        'FROM base:${V} AS build',
        'WORKDIR /src',
        'RUN a \\',
        '  && b',
        'FROM base:$V',
        'WORKDIR /app',
        'COPY --from=build /src/out out',
        'COPY x/y.json x/',
        '',
      ].join('\n'),
    );
    assert.deepEqual(parsed.args, { V: '1.2' });
    assert.deepEqual(
      parsed.stages.map((stage) => [stage.image, stage.name]),
      [
        ['base:1.2', 'build'],
        ['base:1.2', undefined],
      ],
    );
    assert.equal(lastOf(parsed.stages[0] as Stage, 'RUN'), 'a && b');
    const [fromBuild, file] = copiesOf(parsed.stages[1] as Stage);
    assert.equal(fromBuild?.from, 'build');
    assert.equal(imagePathOf(fromBuild!, '/src/out/app.js'), '/app/out/app.js');
    assert.equal(imagePathOf(file!, 'x/y.json'), '/app/x/y.json');
    assert.equal(imagePathOf(file!, 'x/z.json'), undefined);
    assert.deepEqual(execForm('["node", "main.ts"]'), ['node', 'main.ts']);
    assert.equal(execForm('node main.ts'), undefined);
  });

  it('reads .dockerignore as Docker does: parents, globs, and exceptions in order', () => {
    const patterns = parseDockerignore(['# c', 'data', '**/*.db', 'e2e/*', '!e2e/package.json', ''].join('\n'));
    const cases: [string, boolean][] = [
      ['data/hearth.db', true],
      ['data', true],
      ['services/core/src/x.db', true],
      ['x.db', true],
      ['services/core/src/x.ts', false],
      ['e2e/client.ts', true],
      ['e2e/package.json', false],
      ['metadata/x.ts', false],
    ];
    for (const [file, want] of cases) assert.equal(isIgnored(patterns, file), want, file);
  });
});
