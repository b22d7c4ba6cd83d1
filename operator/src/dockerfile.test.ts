// The image, checked without a Docker engine: the top-level Dockerfile against what starts
// containers from it (the chart's command, the operator's Hearth pods), the user they run as, the
// Node release scripts/node.sh pins, everything the two entry points import, and .dockerignore.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { copiesOf, execForm, imagePathOf, isIgnored, lastOf, parseDockerfile, parseDockerignore, type Stage } from '@hearth/harness';
import type { Hearth } from './api/index.ts';
import { repoRoot } from './api/generate.ts';
import { defaultTierContext, desiredObjects } from './tiers/index.ts';
import { imageUsers } from './tiers/pod.ts';

const read = (file: string): string => readFileSync(path.join(repoRoot, file), 'utf8');
const dockerfile = parseDockerfile(read('Dockerfile'));
const ignored = parseDockerignore(read('.dockerignore'));
const values = parse(read('charts/hearth-operator/values.yaml')) as {
  command: string[];
  podSecurityContext: { runAsUser: number; runAsGroup: number };
};
const runtime = dockerfile.stages.at(-1) as Stage;
const stageNamed = (name: string): Stage | undefined => dockerfile.stages.find((stage) => stage.name === name);

/** The file of the build context that a COPY of the final stage puts at `imagePath`, if any does. */
function contextFileAt(imagePath: string, file: string): boolean {
  return copiesOf(runtime).some((copy) => copy.from === undefined && imagePathOf(copy, file) === imagePath);
}

/** Whether the image holds repository file `file` where the repository layout puts it under WORKDIR. */
function inImage(file: string): boolean {
  const workdir = lastOf(runtime, 'WORKDIR') ?? '/';
  return existsSync(path.join(repoRoot, file)) && !isIgnored(ignored, file) && contextFileAt(path.posix.join(workdir, file), file);
}

interface Workspace {
  readonly name: string;
  readonly dir: string;
  readonly entry: string;
  readonly dependencies: Record<string, string>;
}

function workspaces(): Map<string, Workspace> {
  const root = JSON.parse(read('package.json')) as { workspaces: string[] };
  const map = new Map<string, Workspace>();
  for (const dir of root.workspaces) {
    const pkg = JSON.parse(read(`${dir}/package.json`)) as { name: string; exports?: { '.': string }; dependencies?: Record<string, string> };
    map.set(pkg.name, { name: pkg.name, dir, entry: path.posix.join(dir, pkg.exports?.['.'] ?? 'index.ts'), dependencies: pkg.dependencies ?? {} });
  }
  return map;
}

/** Static and dynamic imports that exist at run time (`import type` is erased). */
function importsOf(source: string): string[] {
  const statics = [...source.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^;'"]*?\sfrom\s+)?'([^']+)'/gm)].map((m) => m[1] ?? '');
  const dynamics = [...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? '');
  return [...statics, ...dynamics];
}

/** Every repository module an entry point loads, and the npm packages among its imports. */
function moduleGraph(entry: string): { modules: Set<string>; packages: Set<string>; workspacesUsed: Set<string> } {
  const all = workspaces();
  const modules = new Set<string>();
  const packages = new Set<string>();
  const workspacesUsed = new Set<string>();
  const visit = (file: string): void => {
    if (modules.has(file)) return;
    modules.add(file);
    for (const specifier of importsOf(read(file))) {
      if (specifier.startsWith('node:')) continue;
      if (specifier.startsWith('.')) {
        visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)));
        continue;
      }
      const name = specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/');
      const workspace = all.get(name);
      if (workspace === undefined) packages.add(name);
      else {
        workspacesUsed.add(name);
        visit(workspace.entry);
      }
    }
  };
  visit(entry);
  return { modules, packages, workspacesUsed };
}

describe('the image', () => {
  it('runs on the Node.js release scripts/node.sh pins, in every stage', () => {
    const script = read('scripts/node.sh');
    const pinned = /^pinned=(\S+)$/m.exec(script)?.[1];
    const major = /^want_major=(\d+)$/m.exec(script)?.[1];
    assert.equal(dockerfile.args.NODE_VERSION, pinned);
    assert.equal(pinned?.split('.')[0], major);
    // Every stage starts from the pinned image, directly or through an earlier stage.
    const earlier = new Set<string>();
    for (const stage of dockerfile.stages) {
      if (!earlier.has(stage.image)) assert.equal(stage.image, `node:${pinned}-bookworm-slim`);
      if (stage.name !== undefined) earlier.add(stage.name);
    }
  });

  it('runs as the chart’s user, which the operator’s Hearth pods use too', () => {
    assert.equal(lastOf(runtime, 'USER'), `${values.podSecurityContext.runAsUser}:${values.podSecurityContext.runAsGroup}`);
    assert.equal(values.podSecurityContext.runAsUser, imageUsers.hearth);
  });

  it('holds the files the chart’s operator command and its own entrypoint start', () => {
    const [node, ...rest] = values.command;
    const operatorMain = rest.at(-1);
    assert.equal(node, 'node', 'the official Node image has node on PATH');
    assert.ok(
      rest.slice(0, -1).every((flag) => flag.startsWith('--')),
      `Node's flags, then the entry point: ${values.command.join(' ')}`,
    );
    assert.ok(operatorMain !== undefined && inImage(operatorMain), `${operatorMain} under WORKDIR`);
    const entrypoint = execForm(lastOf(runtime, 'ENTRYPOINT'));
    assert.equal(entrypoint?.[0], 'node');
    const hearthMain = path.posix.relative(lastOf(runtime, 'WORKDIR') ?? '/', entrypoint?.[1] ?? '');
    assert.equal(hearthMain, 'services/hearth/src/main.ts');
    assert.ok(inImage(hearthMain));
  });

  it('is started by the operator’s Hearth pods through its entrypoint, with a --target', () => {
    for (const example of ['embedded.yaml', 'single.yaml']) {
      const hearth = parse(read(`docs/examples/${example}`)) as Hearth;
      hearth.metadata.uid = 'u';
      hearth.metadata.namespace = 'n';
      const desired = desiredObjects(hearth, defaultTierContext);
      assert.ok(desired.ok);
      const containers = desired.objects.flatMap((object) =>
        object.kind === 'Deployment' || object.kind === 'StatefulSet' ? (object.spec?.template.spec?.containers ?? []) : [],
      );
      const hearthContainers = containers.filter((container) => container.name === 'hearth');
      assert.ok(hearthContainers.length > 0, example);
      for (const container of hearthContainers) {
        assert.equal(container.command, undefined, 'the entrypoint is the hearth command');
        assert.equal(container.workingDir, undefined);
        assert.match(container.args?.join(' ') ?? '', /^--target=(all|gateway|realtime|messaging)$/);
      }
    }
  });

  it('holds every module the two entry points load, and installs every package they import', () => {
    const install = lastOf(stageNamed('deps') as Stage, 'RUN') ?? '';
    const installed = new Set([...install.matchAll(/--workspace=(\S+)/g)].map((m) => m[1] ?? ''));
    const all = workspaces();
    for (const entry of [values.command.at(-1) ?? '', 'services/hearth/src/main.ts']) {
      const { modules, packages, workspacesUsed } = moduleGraph(entry);
      assert.ok(modules.size > 10, `${entry}: ${modules.size} modules`);
      for (const module of modules) assert.ok(inImage(module), `${module} (loaded by ${entry}) is in the image`);
      for (const workspace of workspacesUsed) assert.ok(installed.has(workspace), `${workspace} is linked by npm ci`);
      const entryWorkspace = [...all.values()].find((workspace) => entry.startsWith(`${workspace.dir}/`));
      if (entryWorkspace !== undefined) assert.ok(installed.has(entryWorkspace.name), `${entryWorkspace.name} is installed`);
      const dependencies = new Set([...installed].flatMap((name) => Object.keys(all.get(name)?.dependencies ?? {})));
      for (const name of packages) assert.ok(dependencies.has(name), `${name} (imported by ${entry}'s modules) is a dependency of an installed workspace`);
    }
    assert.match(install, /npm ci --omit=dev/);
  });

  it('gives npm ci, in each stage that runs it, the lock file and every workspace manifest', () => {
    /** The stage and the stages it starts from, nearest last. */
    const lineage = (stage: Stage): Stage[] => {
      const parent = stageNamed(stage.image);
      return parent === undefined ? [stage] : [...lineage(parent), stage];
    };
    const manifests = ['package.json', 'package-lock.json', ...[...workspaces().values()].map((workspace) => `${workspace.dir}/package.json`)];
    for (const stage of dockerfile.stages.filter((candidate) => /npm ci/.test(lastOf(candidate, 'RUN') ?? ''))) {
      const copies = lineage(stage)
        .flatMap(copiesOf)
        .filter((copy) => copy.from === undefined);
      for (const manifest of manifests) {
        assert.ok(
          copies.some((copy) => imagePathOf(copy, manifest) === `/app/${manifest}`),
          `${manifest} reaches /app in stage ${stage.name ?? '(last)'}`,
        );
      }
    }
  });

  it('serves the web bundle built as `make web` builds it, where the hearth command looks for it', () => {
    const web = stageNamed('web') as Stage;
    const recipe = /^web:.*\n\t(.+)$/m.exec(read('Makefile'))?.[1] ?? '';
    const script = /\s(\S+\.ts)$/.exec(recipe)?.[1];
    assert.equal(script, 'services/web/build.ts');
    assert.ok(web.instructions.some((i) => i.keyword === 'RUN' && i.args === `node ${script}`));
    const main = read('services/hearth/src/main.ts');
    const relative = /DEFAULT_WEB_DIR = path\.resolve\(here, '([^']+)'\)/.exec(main)?.[1] ?? '';
    const webDir = path.posix.resolve(path.posix.join(lastOf(runtime, 'WORKDIR') ?? '/', 'services/hearth/src'), relative);
    const copy = copiesOf(runtime).find((c) => c.from === 'web');
    assert.equal(copy === undefined ? undefined : imagePathOf(copy, '/app/services/web/dist/index.html'), path.posix.join(webDir, 'index.html'));
  });

  it('takes no data in: no database file reaches the build context, nothing copies it whole', () => {
    for (const file of [
      'data/hearth.db',
      'data/hearth.db-wal',
      'services/core/src/x.sqlite',
      'tmp/data/hearth.db',
      'a.sqlite3',
      '.cache/kube/v1/kube-apiserver',
      'node_modules/x/index.js',
    ]) {
      assert.ok(isIgnored(ignored, file), `${file} left out of the build context`);
    }
    for (const stage of dockerfile.stages) {
      for (const copy of copiesOf(stage)) assert.ok(!copy.sources.some((source) => source === '.' || source === './'), 'no COPY of the whole context');
      assert.ok(!stage.instructions.some((i) => i.keyword === 'VOLUME'), 'no VOLUME: the operator mounts the data volume');
    }
  });

  it('is what skaffold.yaml builds and deploys with the chart', () => {
    const skaffold = parse(read('skaffold.yaml')) as {
      build: { artifacts: { image: string; docker: { dockerfile: string } }[] };
      deploy: { helm: { releases: { chartPath: string; setValueTemplates: Record<string, string>; setValues?: Record<string, unknown> }[] } };
    };
    const [artifact] = skaffold.build.artifacts;
    const [release] = skaffold.deploy.helm.releases;
    assert.ok(artifact !== undefined && release !== undefined, 'skaffold.yaml builds an image and deploys a release');
    assert.equal(artifact.docker.dockerfile, 'Dockerfile');
    assert.equal(release.chartPath, 'charts/hearth-operator');
    const has = (key: string): boolean => {
      let node: unknown = values;
      for (const part of key.split('.')) {
        if (typeof node !== 'object' || node === null || !(part in node)) return false;
        node = (node as Record<string, unknown>)[part];
      }
      return true;
    };
    for (const key of [...Object.keys(release.setValueTemplates), ...Object.keys(release.setValues ?? {})])
      assert.ok(has(key), `${key} is a value of the chart`);
    assert.match(release.setValueTemplates['image.repository'] ?? '', new RegExp(`IMAGE_REPO_${artifact.image}\\b`));
  });
});
