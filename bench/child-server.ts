import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A benchmark's own server (a floor) in its own Node.js process, so that its CPU and event
 * loop are its own and not the driver's. The server prints one JSON line once it listens:
 * {"port":N, …}; the rest of that line is what it tells the driver (`info`).
 */
export interface ChildServer<Info extends { readonly port: number }> {
  readonly url: string;
  readonly port: number;
  readonly info: Info;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

/** Spawns `file` with this Node.js and waits for its first line; `what` names it in errors. */
export function startChildServer<Info extends { readonly port: number }>(file: string, what: string, env: NodeJS.ProcessEnv): Promise<ChildServer<Info>> {
  const child = spawn(process.execPath, [file], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`${what} did not start: ${output}`)), START_TIMEOUT_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onExit = (code: number | null): void => fail(new Error(`${what} exited with ${code}: ${output}`));
    child.once('exit', onExit);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = /^(\{.*\})\n/.exec(output)?.[1];
      if (line === undefined) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      const info = JSON.parse(line) as Info;
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        port: info.port,
        info,
        process: child,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}
