import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinePipe } from './line-pipe.ts';

async function readAll(pipe: LinePipe): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of pipe) lines.push(line);
  return lines;
}

describe('LinePipe', () => {
  it('passes every line in order, the writer waiting while the queue is full', async () => {
    const pipe = new LinePipe(4);
    let waits = 0;
    const writing = (async () => {
      for (let i = 0; i < 100; i++) {
        const pushed = pipe.push(`line ${i}`);
        if (pushed !== undefined) {
          waits++;
          await pushed;
        }
      }
      pipe.end();
    })();
    const lines = await readAll(pipe);
    await writing;
    assert.deepEqual(
      lines,
      Array.from({ length: 100 }, (_, i) => `line ${i}`),
    );
    assert.ok(waits > 0, 'the writer waited for the reader');
  });

  it('a failed writer makes the reader throw, not end', async () => {
    const pipe = new LinePipe();
    void pipe.push('a');
    pipe.fail(new Error('the source went away'));
    await assert.rejects(readAll(pipe), /the source went away/);
  });

  it('a stopped reader makes the waiting and the next push throw', async () => {
    const pipe = new LinePipe(1);
    const waiting = pipe.push('a');
    assert.ok(waiting !== undefined);
    pipe.stop(new Error('the import failed'));
    await assert.rejects(Promise.resolve(waiting), /the import failed/);
    assert.throws(() => pipe.push('b'), /the import failed/);
  });
});
