// Writes the files generated from the Hearth API (hearth-crd.ts): the CRD manifest (in crds/ and
// in the chart) and its reference; and the chart's copies of the monitoring files it installs for
// the operator (Helm reads no file outside the chart). `make crds` runs it; generate.test.ts fails
// when the checked-in files differ. The generated ones go through prettier with the repo's
// settings, so `npm run format` leaves them as they are; the copies are copied byte for byte.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { stringify } from 'yaml';
import { renderCrdReference } from './crd-reference.ts';
import { buildHearthBackupCrd, buildHearthRestoreCrd } from './hearth-backup-crd.ts';
import { buildHearthCrd, type CustomResourceDefinition } from './hearth-crd.ts';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');

export interface GeneratedFile {
  /** Relative to the repository root. */
  path: string;
  content: string;
}

const yamlHeader = '# Generated from operator/src/api/hearth-crd.ts by operator/src/api/generate.ts: do not edit, run `make crds`.\n';

async function formatted(file: GeneratedFile): Promise<GeneratedFile> {
  const absolute = path.join(repoRoot, file.path);
  const options = (await resolveConfig(absolute)) ?? {};
  return { path: file.path, content: await format(file.content, { ...options, filepath: absolute }) };
}

/** HearthBackup's and HearthRestore's manifests, in crds/ and in the chart (docs/operator.md describes them). */
function archiveCrdFiles(crd: CustomResourceDefinition): GeneratedFile[] {
  const manifest = yamlHeader.replace('hearth-crd.ts', 'hearth-backup-crd.ts') + stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false });
  const file = `${crd.spec.group}_${crd.spec.names.plural}.yaml`;
  return [
    { path: `crds/${file}`, content: manifest },
    { path: `charts/hearth-operator/crds/${file}`, content: manifest },
  ];
}

export async function generatedFiles(): Promise<GeneratedFile[]> {
  const crd = buildHearthCrd();
  const manifest = yamlHeader + stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false });
  const files = [
    { path: 'crds/hearth.dev_hearths.yaml', content: manifest },
    // Helm installs a chart's crds/ before its templates, so the chart carries its own copy.
    { path: 'charts/hearth-operator/crds/hearth.dev_hearths.yaml', content: manifest },
    { path: 'docs/crd-reference.md', content: renderCrdReference(crd) },
    ...[buildHearthBackupCrd(), buildHearthRestoreCrd()].flatMap(archiveCrdFiles),
  ];
  return [...(await Promise.all(files.map(formatted))), ...(await chartCopies())];
}

/**
 * deploy/monitoring's files the chart installs (monitoring.prometheusRule, monitoring.dashboard),
 * copied into its files/ where `.Files.Get` reads them.
 */
export const chartMonitoringFiles = ['hearth-operator-rules.yaml', 'hearth-dashboard.json'] as const;

async function chartCopies(): Promise<GeneratedFile[]> {
  return Promise.all(
    chartMonitoringFiles.map(async (name) => ({
      path: `charts/hearth-operator/files/${name}`,
      content: await readFile(path.join(repoRoot, 'deploy', 'monitoring', name), 'utf8'),
    })),
  );
}

async function writeGeneratedFiles(): Promise<void> {
  for (const file of await generatedFiles()) {
    const absolute = path.join(repoRoot, file.path);
    await mkdir(path.dirname(absolute), { recursive: true });
    await writeFile(absolute, file.content);
    console.log(`wrote ${file.path}`);
  }
}

if (import.meta.main) await writeGeneratedFiles();
