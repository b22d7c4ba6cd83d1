/**
 * Progress of a long copy (hearth export / import): a bar redrawn in place on a terminal, and
 * plain lines at an interval when the output is a log, which a bar's carriage returns would
 * garble. The texts are pure functions; `createProgress` only decides when to write them.
 */

export interface ProgressState {
  readonly label: string;
  readonly done: number;
  /** What `done` counts up to, when it is known. */
  readonly total?: number | undefined;
  readonly unit: string;
  readonly elapsedMs: number;
}

const count = new Intl.NumberFormat('en-US');

function rateOf(state: ProgressState): string {
  const perSecond = state.elapsedMs > 0 ? Math.round((state.done * 1000) / state.elapsedMs) : 0;
  return `${count.format(perSecond)} ${state.unit}/s`;
}

function share(state: ProgressState): number | undefined {
  if (state.total === undefined || state.total <= 0) return undefined;
  return Math.min(1, state.done / state.total);
}

/** A log line: `export: 45,000 of 100,000 records (45%), 12,000 records/s`. */
export function progressLine(state: ProgressState): string {
  const fraction = share(state);
  const of = state.total === undefined ? '' : ` of ${count.format(state.total)}`;
  const percent = fraction === undefined ? '' : ` (${Math.floor(fraction * 100)}%)`;
  return `${state.label}: ${count.format(state.done)}${of} ${state.unit}${percent}, ${rateOf(state)}`;
}

/** A terminal bar: `export [##########----------]  50% 50,000/100,000 records 12,000 records/s`. */
export function progressBar(state: ProgressState, width = 30): string {
  const fraction = share(state);
  if (fraction === undefined) return progressLine(state);
  const filled = Math.round(fraction * width);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${state.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent} ${count.format(state.done)}/${count.format(state.total ?? 0)} ${state.unit} ${rateOf(state)}`;
}

export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressOptions {
  readonly label: string;
  readonly unit: string;
  readonly total?: number;
  readonly output: ProgressOutput;
  /** How often a log gets a line (a terminal is redrawn at most every 100 ms). */
  readonly logIntervalMs?: number;
  readonly now?: () => number;
}

export interface Progress {
  /** Sets what is done so far (absolute, not an increment). */
  update(done: number, total?: number): void;
  /** Writes the final state, and a newline after a bar. */
  finish(): void;
}

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const started = now();
  const terminal = options.output.isTTY === true;
  const interval = terminal ? 100 : (options.logIntervalMs ?? 5_000);
  let total = options.total;
  let done = 0;
  let lastWrite = started;
  const state = (): ProgressState => ({ label: options.label, unit: options.unit, done, total, elapsedMs: now() - started });
  const write = (): void => {
    lastWrite = now();
    options.output.write(terminal ? `\r${progressBar(state())}` : `${progressLine(state())}\n`);
  };
  return {
    update(value, newTotal) {
      done = value;
      if (newTotal !== undefined) total = newTotal;
      if (now() - lastWrite >= interval) write();
    },
    finish() {
      write();
      if (terminal) options.output.write('\n');
    },
  };
}
