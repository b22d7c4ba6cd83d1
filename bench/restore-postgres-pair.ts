import { rm } from 'node:fs/promises';
import { eventually } from '../e2e/chaos-helpers.ts';
import type { ClusteredTier } from '../e2e/clustered-tier.ts';
import { pgTools, type PgTools } from './postgres-tools.ts';

/**
 * Puts the clustered tier's PostgreSQL pair back as it started, after its first node (the
 * primary) was killed and the second promoted, so that the same fault can be injected again.
 * The harness's pair promotes but does not rebuild. Its first node runs with
 * synchronous_standby_names, its second without (a promoted replica has no standby to wait
 * for), so the pair is restored with the first primary again rather than left the other way
 * round: a primary that waits for a standby which is down stops every commit.
 */

type PostgresPair = ClusteredTier['postgres'];
type PostgresNode = PostgresPair['nodes'][number];

const WITHIN_MS = 60_000;

export async function restorePostgresPair(pair: PostgresPair): Promise<void> {
  const [first, second] = pair.nodes as [PostgresNode, PostgresNode];
  const tools = await pgTools(pair.port);
  try {
    if (pair.primary() === first && (await replicaState(tools, first)) === 'sync') return;
    // The first follows the second before it takes over, so that it has every commit.
    await rebuildReplica(tools, first, second, 'async');
    // A clean stop sends every WAL record to the replica before the primary exits.
    await second.halt();
    await pair.promote(first);
    // Until the second follows the first, the first's commits wait (synchronous replication).
    await rebuildReplica(tools, second, first, 'sync');
  } finally {
    await tools.dispose();
  }
}

/**
 * Replaces `node`'s data with a base backup of `primary` (-R: as its standby), starts it, and waits
 * until it streams. The backup starts with a fast checkpoint: a spread one takes minutes under load.
 */
async function rebuildReplica(tools: PgTools, node: PostgresNode, primary: PostgresNode, state: 'sync' | 'async'): Promise<void> {
  await rm(node.data, { recursive: true, force: true });
  await tools.run('pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'hearth',
    '-D',
    node.data,
    '-R',
    '-X',
    'stream',
    '--checkpoint=fast',
    '--no-sync',
  ]);
  await node.start();
  await eventually(`the node on ${node.port} streaming from ${primary.port} (${state})`, async () => (await replicaState(tools, primary)) === state, WITHIN_MS);
}

/** The sync_state of the primary's one streaming replica ('sync' or 'async'), or 'none'. */
async function replicaState(tools: PgTools, primary: PostgresNode): Promise<string> {
  const sql = "select sync_state from pg_stat_replication where state = 'streaming'";
  const out = await tools.run('psql', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'hearth', '-d', 'postgres', '-Atc', sql]).catch(() => '');
  const states = out
    .trim()
    .split('\n')
    .filter((line) => line !== '');
  return states.length === 1 ? states[0]! : 'none';
}
