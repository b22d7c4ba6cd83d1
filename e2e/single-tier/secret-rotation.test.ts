import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPasswordRoll } from '../secret-rotation.ts';

/**
 * The "a changed database password rolls the services, with posting continuing": the
 * failed attempts are reported (bench/secret-rotation.ts records them in bench/results), and no
 * acknowledged post is lost. Single tier only: it starts a tier of its own, whose PostgreSQL checks passwords.
 */
describe('a database password rotated under load', { timeout: 240_000 }, () => {
  it('every service rolled onto the new password, the old one refused, and 0 acknowledged posts lost', async () => {
    const report = await runPasswordRoll({ posters: 4, steadyMs: 1_500 });
    console.log(
      `password roll: ${report.processes} processes replaced in ${Math.round(report.rollMs)} ms; ` +
        `${report.acknowledged} posts acknowledged, ${report.failedAttempts} attempts failed (${report.failedDuringRoll} during the roll, ${report.failedAfterRoll} after it: ${JSON.stringify(report.failures)}), ${report.lost} lost`,
    );
    assert.equal(report.processes, 5);
    assert.ok(report.oldPasswordRefused, 'PostgreSQL refuses the old password and takes the new one: every process moved');
    assert.ok(report.acknowledged > 0, 'posting went on');
    assert.equal(report.lost, 0, 'every acknowledged post is in the store');
  });
});
