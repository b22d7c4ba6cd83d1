import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  archiveBlobs,
  archiveName,
  archiveRecordLines,
  archivesBeyondRetention,
  buildArchiveHeader,
  checkArchive,
  createBlobStore,
  describeBytes,
  createArchiveStore,
  describeDestination,
  openArchive,
  parseArchiveDestination,
  parseArchiveSource,
  summaryDifferences,
  writeArchive,
  decryptArchiveSecrets,
  withEncryptedSecrets,
  type ArchiveDestination,
  type ArchiveHeader,
  type ArchiveManifest,
  type ArchiveSource,
  type ArchiveStore,
  type BlobConfig,
  type BlobStore,
  type JsonValue,
  type S3Config,
  type Store,
  type StoreConfig,
} from '@hearth/core';
import type { BackupCommand, BackupSecrets, RestoreCommand, RestoreSecrets } from './archive-args.ts';
import { cannotRead } from './cannot-read.ts';
import { createSecretsInNamespace, kubernetesApiOf, type Environment, type SecretOutcome } from './kubernetes-secrets.ts';
import { createProgress } from './progress.ts';
import { writeSecretsFile } from './restored-secrets.ts';
import { readSecretsDir } from './secrets-dir.ts';
import { readSecretsKey } from './secrets-key.ts';
import { runOnStore, type CliStreams, type StoreCommand } from './store-command.ts';

/**
 * `hearth backup` and `hearth restore`: an archive of the whole store (core's archive-format.ts)
 * written to a directory or an S3 prefix, keeping the newest N there; and loaded back into an
 * empty store, checked whole before anything is loaded and verified after. With
 * --include-secrets, Secrets' values travel in it encrypted (core's archive-secrets.ts): read
 * from their mounts by backup, given back by restore before the records are loaded.
 */

/** What the archive commands need beyond the store: where S3 is, which release writes the archive, and the environment. */
export interface ArchiveContext {
  readonly store: StoreConfig;
  /** Where the files' bytes are kept (HEARTH_FILES_STORAGE); null: the store's records only. */
  readonly files: BlobConfig | null;
  readonly s3: S3Config;
  readonly hearthVersion: string;
  readonly now?: () => Date;
  /** For --secrets-namespace: where the Kubernetes API is (kubernetes-secrets.ts). */
  readonly env: Environment;
}

const count = new Intl.NumberFormat('en-US');

export async function runArchiveCommand(command: BackupCommand | RestoreCommand, context: ArchiveContext, streams: CliStreams): Promise<number> {
  if (command.kind === 'backup') return runOnStore(openingOf(command, context, streams), (store) => backup(store, command, context, streams));
  // The archive is checked, and its Secrets decrypted and written, before the store is opened:
  // a bad archive or a wrong key leaves no trace, not even an empty hearth.db.
  let archive: LocalArchive | undefined;
  try {
    archive = await checkedLocalCopy(command.from, context.s3);
    refuseFilesWithNowhereToGo(archive.manifest, context.files);
  } catch (error) {
    await archive?.remove();
    return refused(command, error, streams);
  }
  try {
    // Before the records: a Hearth whose pods wait for these Secrets can start while the data
    // loads, and a rerun after a failed load finds them there and keeps them.
    if (command.secrets !== undefined) await restoreSecrets(archive, command.secrets, context.env, streams);
    return await runOnStore(openingOf(command, context, streams), (store) => restore(store, archive, context, streams));
  } catch (error) {
    return refused(command, error, streams);
  } finally {
    await archive.remove();
  }
}

function openingOf(command: BackupCommand | RestoreCommand, context: ArchiveContext, streams: CliStreams): StoreCommand {
  // A backup refuses a SQLite file that is not there; a restore creates it.
  return { name: command.kind, store: context.store, stderr: streams.stderr, mustExist: command.kind === 'backup' };
}

function refused(command: BackupCommand | RestoreCommand, error: unknown, streams: CliStreams): number {
  streams.stderr.write(`hearth ${command.kind}: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}

async function backup(store: Store, command: BackupCommand, context: ArchiveContext, streams: CliStreams): Promise<void> {
  const createdAt = (context.now ?? (() => new Date()))();
  const spec = command.spec === undefined ? null : await specOf(command.spec);
  const header = await headerOf(buildArchiveHeader(createdAt, context.hearthVersion, spec), command.secrets, streams);
  const destination = parseArchiveDestination(command.to);
  const archives = await createArchiveStore(destination, context.s3);
  const upload = await archives.create(archiveName(createdAt));
  const progress = createProgress({ label: 'backup', unit: 'records', output: streams.stderr });
  let manifest: ArchiveManifest;
  const blobs = context.files === null ? null : await createBlobStore(context.files);
  try {
    manifest = await writeArchive(store, header, upload.sink, { onProgress: (rows, total) => progress.update(rows, total), blobs });
  } catch (error) {
    await upload.abort();
    throw error;
  } finally {
    await blobs?.close();
  }
  const where = await upload.commit();
  progress.finish();
  streams.stderr.write(`hearth backup: wrote ${describe(manifest)} to ${where}\n`);
  if (command.retention !== undefined) await applyRetention(archives, destination, command.retention, streams);
  await reportLocation(where, command, streams);
}

/** The header, with the Secrets in --secrets-dir encrypted into it when --include-secrets asks for them. */
async function headerOf(header: ArchiveHeader, secrets: BackupSecrets | undefined, streams: CliStreams): Promise<ArchiveHeader> {
  if (secrets === undefined) return header;
  const key = await readSecretsKey(secrets.keyFile);
  const values = await readSecretsDir(secrets.dir);
  streams.stderr.write(
    `hearth backup: encrypting the values of ${values.length} Secrets into the archive: ${values.map((secret) => secret.name).join(', ')}\n`,
  );
  return withEncryptedSecrets(header, values, key);
}

async function applyRetention(archives: ArchiveStore, destination: ArchiveDestination, retention: number, streams: CliStreams): Promise<void> {
  const beyond = archivesBeyondRetention(await archives.list(), retention);
  for (const name of beyond) await archives.remove(name);
  const removed = beyond.length === 0 ? 'none older to delete' : `deleted ${beyond.join(', ')}`;
  streams.stderr.write(`hearth backup: keeping the newest ${retention} in ${describeDestination(destination)}: ${removed}\n`);
}

/**
 * The archive's location, last and alone on standard output (ARCHIVE=$(hearth backup …)), and in
 * --location-file when given: written only once the backup and its retention are done, so a
 * location there is an archive that is whole.
 */
async function reportLocation(where: string, command: BackupCommand, streams: CliStreams): Promise<void> {
  if (command.locationFile !== undefined) await writeFile(command.locationFile, where);
  streams.stdout.write(`${where}\n`);
}

/** The spec file, as JSON: the operator writes the Hearth's spec there. */
async function specOf(file: string): Promise<JsonValue> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw cannotRead(`the spec file ${file}`, error);
  });
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new Error(`the spec file ${file} is not JSON (give the Hearth's spec as JSON, e.g. kubectl get hearth NAME -o jsonpath='{.spec}')`);
  }
}

async function restore(store: Store, archive: LocalArchive, context: ArchiveContext, streams: CliStreams): Promise<void> {
  const { manifest } = archive;
  const files = manifest.files?.count ?? 0;
  const progress = createProgress({ label: 'restore', unit: 'records', output: streams.stderr });
  const lines = archiveRecordLines(await openArchive(archive.source, context.s3));
  const result = await store.importRecords(lines, { onProgress: (rows, total) => progress.update(rows, total) });
  progress.finish();
  const restored = await store.exportRecords(() => undefined);
  const differences = summaryDifferences(manifest, restored.summary);
  if (result.rows !== manifest.rows) differences.unshift(`${result.rows} records, expected ${manifest.rows}`);
  if (differences.length > 0) throw new Error(`the restored store differs from the archive's manifest: ${differences.slice(0, 5).join('; ')}`);
  if (files > 0 && context.files !== null) await restoreFiles(archive, context.files, context.s3);
  const tables = Object.keys(manifest.tables).length;
  streams.stderr.write(
    `hearth restore: restored ${describe(manifest)} from ${archive.from}, written ${manifest.createdAt} by Hearth ${manifest.hearthVersion}; verified: ${tables} tables, their rows and checksums, and every room's last sequence match its manifest\n`,
  );
}

/** Refused before the store is opened: the messages would point at files kept nowhere. */
function refuseFilesWithNowhereToGo(manifest: ArchiveManifest, files: BlobConfig | null): void {
  const held = manifest.files?.count ?? 0;
  if (held > 0 && files === null) {
    throw new Error(`the archive holds ${count.format(held)} files, and files are off here: set HEARTH_FILES_STORAGE (and its settings) to where they go`);
  }
}

/** The files' bytes, into the Blob store; the count put must be the manifest's. */
async function restoreFiles(archive: LocalArchive, config: BlobConfig, s3: S3Config): Promise<void> {
  const blobs: BlobStore = await createBlobStore(config);
  try {
    let put = 0;
    for await (const { key, bytes } of archiveBlobs(await openArchive(archive.source, s3))) {
      await blobs.put(key, bytes);
      put += 1;
    }
    const expected = archive.manifest.files?.count ?? 0;
    if (put !== expected) throw new Error(`the archive's manifest counts ${expected} files, and ${put} were restored`);
  } finally {
    await blobs.close();
  }
}

/** The archive's Secrets, decrypted, written to a file or created in a namespace: reported by name only. */
async function restoreSecrets(archive: LocalArchive, secrets: RestoreSecrets, env: Environment, streams: CliStreams): Promise<void> {
  const values = await decryptArchiveSecrets(archive.header, await readSecretsKey(secrets.keyFile));
  // The annotation names the archive wherever the Secrets are applied from: a file by its full path.
  const from = parseArchiveSource(archive.from).type === 'file' ? path.resolve(archive.from) : archive.from;
  const { to } = secrets;
  switch (to.type) {
    case 'file': {
      await writeSecretsFile(to.path, values, from);
      const names = values.map((secret) => secret.name).join(', ');
      streams.stderr.write(`hearth restore: wrote the Secrets ${names} to ${to.path} (mode 0600; kubectl apply -f ${to.path} -n NAMESPACE)\n`);
      return;
    }
    case 'namespace': {
      const { namespace } = to;
      const said = { created: 'created the Secret', kept: 'kept the existing Secret' } as const;
      const onDone = (name: string, outcome: SecretOutcome): unknown =>
        streams.stderr.write(`hearth restore: ${said[outcome]} ${name} in namespace ${namespace}\n`);
      await createSecretsInNamespace(values, { api: kubernetesApiOf(env), namespace, from, onDone });
      return;
    }
  }
}

/** An archive checked whole, where it can be read again to load it. */
interface LocalArchive {
  /** As the command was given it. */
  readonly from: string;
  readonly source: ArchiveSource;
  readonly header: ArchiveHeader;
  readonly manifest: ArchiveManifest;
  remove(): Promise<void>;
}

/**
 * The archive, checked against its manifest, where it can be read a second time: a file as it
 * is, an S3 object downloaded to a temporary file first, so that both reads see the same bytes.
 */
async function checkedLocalCopy(from: string, s3: S3Config): Promise<LocalArchive> {
  const source = parseArchiveSource(from);
  if (source.type === 'file') {
    const { header, manifest } = await checkArchive(await openArchive(source, s3));
    return { from, source, header, manifest, remove: async () => undefined };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'hearth-restore-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const file: ArchiveSource = { type: 'file', path: path.join(dir, 'archive.ndjson.gz') };
    await pipeline(await openArchive(source, s3), createWriteStream(file.path));
    const { header, manifest } = await checkArchive(await openArchive(file, s3));
    return { from, source: file, header, manifest, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

function describe(manifest: ArchiveManifest): string {
  const messages = manifest.tables['messages']?.rows ?? 0;
  const records = `${count.format(manifest.rows)} records (${count.format(messages)} messages in ${count.format(Object.keys(manifest.lastSeq).length)} rooms)`;
  const files = manifest.files ?? { count: 0, bytes: 0 };
  return files.count === 0 ? records : `${records} and ${count.format(files.count)} files (${describeBytes(files.bytes)})`;
}
