// One lint setup for the whole repo: typed rules where they catch real bugs (floating promises,
// misused promises), size bounds that keep functions readable, and the package map of
// docs/architecture.md, so an import that points the wrong way fails the build.
import { builtinRules } from 'eslint/use-at-your-own-risk';
import tseslint from 'typescript-eslint';

/**
 * Which workspace packages each package may import at run time (`typeOnly`: as types only), by
 * directory. Tests may also import the test kits. docs/architecture.md draws the same map.
 */
const packageMap = [
  { dir: 'services/core', imports: [] },
  { dir: 'services/messaging', imports: ['core'] },
  { dir: 'services/realtime', imports: ['core'] },
  { dir: 'services/gateway', imports: ['core'] },
  // The composition root: it mounts the services on one server.
  { dir: 'services/hearth', imports: ['core', 'gateway', 'realtime', 'messaging'] },
  // The browser bundle: core's types describe the API, but none of core's code may reach the bundle.
  { dir: 'services/web', imports: [], typeOnly: ['core'] },
  { dir: 'packages/testing', imports: ['core'] },
  { dir: 'packages/kube-runtime', imports: [] },
  { dir: 'operator', imports: ['kube-runtime'] },
  { dir: 'harness', imports: [] },
  // The end-to-end suite states the protocol again on purpose: it may use no service's code.
  { dir: 'e2e', imports: ['harness'] },
  { dir: 'bench', imports: ['core', 'harness', 'operator', 'kube-runtime'] },
];
const testKits = ['harness', 'testing'];
// Test files, and the modules only tests use: test kits (a package's `testing` entry), the
// operator's end-to-end runner on a cluster.
const testFiles = [
  '**/*.test.ts',
  '**/*-test-support.ts',
  '**/test-server.ts',
  '**/test-fixtures.ts',
  '**/src/testing.ts',
  '**/e2e-cluster.ts',
  '**/run-e2e-on-cluster.ts',
];

/** A path into another package's source (`../../core/src/…`): packages are imported by their names. */
const intoAnotherPackage = {
  regex: '^(\\.\\./)+(services/|packages/)?[a-z-]+/src(/|$)',
  message: 'import another package by its name (@hearth/…), not by a path into its source',
};

function importRule(allowedNames, typeOnly) {
  const allowed = [...new Set(allowedNames)];
  // A type-only package is left to `paths`, which tells a type import from a value import.
  const unmatched = [...allowed, ...typeOnly];
  const group = ['@hearth/*', ...unmatched.map((name) => `!@hearth/${name}`), ...unmatched.map((name) => `!@hearth/${name}/*`)];
  const patterns = [{ group, message: 'this package may not import that one: see the package map in docs/architecture.md' }, intoAnotherPackage];
  const paths = typeOnly.map((name) => ({ name: `@hearth/${name}`, allowTypeImports: true, message: `only types of @hearth/${name} may be imported here` }));
  return ['error', { paths, patterns }];
}

const boundaries = packageMap.flatMap(({ dir, imports, typeOnly = [] }) => [
  { files: [`${dir}/**/*.{ts,tsx}`], rules: { '@typescript-eslint/no-restricted-imports': importRule(imports, typeOnly) } },
  {
    files: testFiles.map((glob) => `${dir}/${glob}`),
    rules: { '@typescript-eslint/no-restricted-imports': importRule([...imports, ...testKits.filter((kit) => !dir.endsWith(kit))], typeOnly) },
  },
]);

const isDescribe = (node) =>
  node?.type === 'CallExpression' &&
  ((node.callee.type === 'Identifier' && ['describe', 'suite'].includes(node.callee.name)) ||
    (node.callee.type === 'MemberExpression' && node.callee.object.type === 'Identifier' && node.callee.object.name === 'describe'));

/**
 * ESLint's max-lines-per-function, except for the callback of a test's `describe`: that only
 * groups cases (and their before/after), so its length is the number of cases. Each case, and
 * every other function, is held to the bound.
 */
const maxLinesPerFunction = {
  meta: builtinRules.get('max-lines-per-function').meta,
  create(context) {
    const report = (descriptor) => {
      if (!isDescribe(descriptor.node?.parent)) context.report(descriptor);
    };
    return builtinRules.get('max-lines-per-function').create(Object.create(context, { report: { value: report } }));
  },
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.tools/**', '.cache/**', 'data/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { hearth: { rules: { 'max-lines-per-function': maxLinesPerFunction } } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      complexity: ['error', 10],
      'max-depth': ['error', 3],
      'max-params': ['error', 4],
      'hearth/max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      eqeqeq: 'error',
    },
  },
  ...boundaries,
);
