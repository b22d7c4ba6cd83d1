/**
 * `make api-contract`: schemathesis (scripts/schemathesis.sh, pinned) against a real embedded
 * Hearth, signed in as its administrator, with every check on. Fails on any failure: a 5xx, a
 * response that breaks /api/openapi.json's schema, a status the document does not list, a
 * request the schema allows refused or one it forbids accepted. Prints the counts.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HearthClient, PASSWORD } from './client.ts';
import { startHearth } from './harness.ts';
import { contractCounts, type ContractCounts } from './api-contract-report.ts';

const root = path.resolve(import.meta.dirname, '..');
/**
 * Test cases per operation and phase: enough to reach every documented status while the run stays
 * under 3 minutes on a busy 2-core machine (100 takes about 2); HEARTH_CONTRACT_EXAMPLES overrides it.
 */
const MAX_EXAMPLES = Number(process.env['HEARTH_CONTRACT_EXAMPLES'] ?? 50);
/** The same cases every run (the server's ids still differ); HEARTH_CONTRACT_SEED explores others. */
const SEED = process.env['HEARTH_CONTRACT_SEED'] ?? '1';

/**
 * Left out, each for a reason: the SSE stream never ends (a request would wait for its timeout),
 * and signing out would end the session every other request runs in.
 */
const EXCLUDED = ['--exclude-name-regex', '^(GET /api/realtime/sse|DELETE /api/session)$'];

async function schemathesisPath(): Promise<string> {
  const { stdout } = await promisify(execFile)(path.join(root, 'scripts/schemathesis.sh'), { cwd: root });
  return stdout.trim();
}

function run(command: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

function printCounts(counts: ContractCounts): void {
  console.log(
    `api-contract: ${counts.requests} requests over ${counts.operations} operations: ` +
      `${counts.serverErrors} server errors, ${counts.schemaViolations} schema violations, ` +
      `${counts.undocumentedStatuses} undocumented statuses, ${counts.otherFailures} other failures`,
  );
}

async function main(): Promise<void> {
  const st = await schemathesisPath();
  // Sign-in and posting limits high: schemathesis signs in and posts far faster than a person.
  const hearth = await startHearth({ tier: 'embedded', signInPerMinute: 100_000, postsPerMinute: 1_000_000 });
  const reports = await mkdtemp(path.join(tmpdir(), 'hearth-api-contract-'));
  try {
    const admin = new HearthClient(hearth.url);
    await admin.setup('Contract', 'Ada Admin', 'ada@example.com', PASSWORD);
    const ndjson = path.join(reports, 'events.ndjson');
    const code = await run(st, [
      '--config-file',
      path.join(import.meta.dirname, 'schemathesis.toml'),
      'run',
      `${hearth.url}/api/openapi.json`,
      '--checks',
      'all',
      '--max-examples',
      String(MAX_EXAMPLES),
      '--seed',
      SEED,
      '--no-color',
      '--header',
      `Cookie: ${admin.cookieHeader()}`,
      '--header',
      `x-csrf-token: ${admin.csrfToken ?? ''}`,
      ...EXCLUDED,
      '--report',
      'ndjson',
      '--report-ndjson-path',
      ndjson,
    ]);
    const counts = contractCounts(await readFile(ndjson, 'utf8'));
    printCounts(counts);
    if (code !== 0 || counts.total > 0) {
      console.error(`api-contract: schemathesis found failures (exit code ${code}); its report is above`);
      process.exitCode = 1;
    }
  } finally {
    await hearth.stop();
    await rm(reports, { recursive: true, force: true });
  }
}

await main();
