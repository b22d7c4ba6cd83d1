// Just enough of a Dockerfile and .dockerignore reader for tests to check the image against the
// chart and the operator without a Docker engine: stages, their instructions, what each COPY
// brings in, and whether the build context leaves a path out.
import path from 'node:path';

export interface Instruction {
  /** Upper case: FROM, COPY, RUN, ... */
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  /** `FROM <image> AS <name>`, with the global ARGs' defaults substituted. */
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** The ARGs before the first FROM, with their defaults. */
  readonly args: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
}

export interface Copy {
  /** The stage copied from; undefined: the build context. */
  readonly from: string | undefined;
  readonly sources: readonly string[];
  /** Absolute, resolved against the stage's WORKDIR. */
  readonly dest: string;
  /** Written with a trailing slash: a file copied there keeps its name inside it. */
  readonly destIsDir: boolean;
}

/** Logical lines: comments and blank lines dropped, backslash continuations joined. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    lines.push(`${pending}${line}`.trim());
    pending = '';
  }
  if (pending !== '') lines.push(pending.trim());
  return lines.filter((line) => line !== '');
}

function substitute(text: string, args: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => args[braced ?? bare ?? ''] ?? whole);
}

type StageBeingRead = Omit<Stage, 'instructions'> & { instructions: Instruction[] };

export function parseDockerfile(text: string): Dockerfile {
  const args: Record<string, string> = {};
  const stages: StageBeingRead[] = [];
  for (const instruction of logicalLines(text).map(instructionOf)) {
    if (instruction.keyword === 'FROM') {
      stages.push(stageOf(instruction.args, args));
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [name = '', value = ''] = instruction.args.split('=');
      args[name] = value;
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

function instructionOf(line: string): Instruction {
  const [keyword = '', ...rest] = line.split(/\s+/);
  return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
}

/** A stage from its FROM's arguments (`<image> [AS <name>]`), the global ARGs' defaults substituted. */
function stageOf(from: string, args: Readonly<Record<string, string>>): StageBeingRead {
  const [image = '', as, name] = from.split(' ');
  return { image: substitute(image, args), name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] };
}

/** The last value of an instruction in a stage (USER, WORKDIR, ENTRYPOINT, ...), or undefined. */
export function lastOf(stage: Stage, keyword: string): string | undefined {
  return stage.instructions.findLast((instruction) => instruction.keyword === keyword)?.args;
}

/** The exec (JSON) form of ENTRYPOINT or CMD; the shell form would put a shell between the signal and Node. */
export function execForm(args: string | undefined): string[] | undefined {
  if (args === undefined || !args.startsWith('[')) return undefined;
  return JSON.parse(args) as string[];
}

/** Every COPY of a stage, its destination resolved against the WORKDIR in force at that point. */
export function copiesOf(stage: Stage): Copy[] {
  const copies: Copy[] = [];
  let workdir = '/';
  for (const { keyword, args } of stage.instructions) {
    if (keyword === 'WORKDIR') workdir = path.posix.resolve(workdir, args);
    if (keyword !== 'COPY') continue;
    const words = args.split(/\s+/);
    const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((word) => !word.startsWith('--'));
    const dest = paths.at(-1) ?? '.';
    copies.push({ from, sources: paths.slice(0, -1), dest: path.posix.resolve(workdir, dest), destIsDir: dest.endsWith('/') || dest === '.' });
  }
  return copies;
}

/**
 * Where a COPY puts `file` (a path in the build context or the stage copied from), or undefined
 * when none of its sources is the file or a directory holding it.
 */
export function imagePathOf(copy: Copy, file: string): string | undefined {
  for (const source of copy.sources) {
    const from = path.posix.normalize(source).replace(/\/$/, '');
    if (file === from) return copy.destIsDir ? path.posix.join(copy.dest, path.posix.basename(from)) : copy.dest;
    // A directory's contents go into the destination.
    if (from === '.' || file.startsWith(`${from}/`)) return path.posix.join(copy.dest, from === '.' ? file : file.slice(from.length + 1));
  }
  return undefined;
}

function patternRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '*' && pattern[i + 1] === '*') {
      // `**/` matches any number of directories, none included.
      out += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (char === '*') out += '[^/]*';
    else if (char === '?') out += '[^/]';
    else out += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The patterns of a .dockerignore, in order, comments and blank lines dropped. */
export function parseDockerignore(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Whether the build context leaves `file` (relative to the context) out: the last pattern that
 * matches it or one of its parent directories decides, a `!` pattern bringing it back.
 */
export function isIgnored(patterns: readonly string[], file: string): boolean {
  const parts = path.posix.normalize(file).split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const pattern of patterns) {
    const exception = pattern.startsWith('!');
    const regexp = patternRegExp(path.posix.normalize(exception ? pattern.slice(1) : pattern));
    if (candidates.some((candidate) => regexp.test(candidate))) ignored = !exception;
  }
  return ignored;
}
