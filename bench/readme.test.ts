import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { BEGIN, currentSection, END, loadResults, README, renderPerformance, replaceSection } from './readme.ts';

describe('README.md performance figures', () => {
  it('are what bench/readme.ts renders from the committed bench/results/*.json', async () => {
    const readme = await readFile(README, 'utf8');
    assert.equal(currentSection(readme), renderPerformance(await loadResults()), 'README.md is stale: run node bench/readme.ts');
  });

  it('sit between the markers, which keep what is around them', () => {
    const readme = `## Performance\n\n${BEGIN}\nold figures\n${END}\n\nProse.\n`;
    const written = replaceSection(readme, 'new figures');
    assert.equal(written, `## Performance\n\n${BEGIN}\nnew figures\n${END}\n\nProse.\n`);
    assert.equal(currentSection(written), 'new figures');
  });

  it('are not written into a README without the markers', () => {
    assert.throws(() => replaceSection('## Performance\n', 'figures'), /no <!-- bench:begin -->/);
  });
});
