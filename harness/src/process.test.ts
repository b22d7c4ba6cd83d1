import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort, startTogether } from './process.ts';

describe('freePort', () => {
  it('never hands out the same port twice in a while, though the kernel gives a released port again soon', async () => {
    // One after another, as a tier's servers ask for theirs: plain listen(0) repeats ports here within a few hundred calls.
    const ports: number[] = [];
    for (let i = 0; i < 1500; i++) ports.push(await freePort());
    assert.equal(new Set(ports).size, ports.length);
  });
});

describe('startTogether', () => {
  const server = (name: string, stopped: string[]): { name: string; stop(): Promise<void> } => ({
    name,
    stop: async () => {
      stopped.push(name);
    },
  });

  it('gives every server once all have started', async () => {
    const stopped: string[] = [];
    const [a, b] = await startTogether([Promise.resolve(server('a', stopped)), Promise.resolve(server('b', stopped))] as const);
    assert.deepEqual([a.name, b.name], ['a', 'b']);
    assert.deepEqual(stopped, []);
  });

  it('stops the servers that started when another fails, and passes its error on', async () => {
    const stopped: string[] = [];
    const failure = new Error('nats-server: the process exited early');
    await assert.rejects(
      startTogether([Promise.resolve(server('postgres', stopped)), Promise.reject(failure), Promise.resolve(server('redis', stopped))]),
      (error: unknown) => error === failure,
    );
    assert.deepEqual(stopped.sort(), ['postgres', 'redis']);
  });
});
