// Renders docs/crd-reference.md from the CRD: one table per object of the schema, then the
// printer columns and every CEL rule. Pure and deterministic: the drift test compares its output.
import type { CustomResourceDefinition } from './hearth-crd.ts';
import type { JsonSchema } from './json-schema.ts';

interface ObjectSection {
  path: string;
  schema: JsonSchema;
}

interface RuleRow {
  path: string;
  rule: string;
  message: string;
  reason: string;
}

// The API server forbids descriptions under metadata, so the reference supplies them.
const metadataDescriptions: Record<string, string> = {
  metadata: 'Standard object metadata; `metadata.name` is limited by the rule on the Hearth.',
};

/** Every object of the schema that has properties, parents before children, with its dotted path. */
export function objectSections(schema: JsonSchema, path: string): ObjectSection[] {
  const sections: ObjectSection[] = [];
  const visit = (node: JsonSchema, at: string): void => {
    if (at === 'metadata') return;
    if (node.properties !== undefined) {
      sections.push({ path: at, schema: node });
      for (const [name, child] of Object.entries(node.properties)) visit(child, join(at, name));
    } else if (node.items !== undefined) {
      visit(node.items, `${at}[]`);
    }
  };
  visit(schema, path);
  return sections;
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function typeOf(node: JsonSchema): string {
  if (node['x-kubernetes-int-or-string'] === true) return 'quantity';
  if (node.type === 'array' && node.items !== undefined) return `[]${typeOf(node.items)}`;
  if (node.type === 'object' && node.additionalProperties !== undefined) return `map[string]${typeOf(node.additionalProperties)}`;
  return node.type ?? 'any';
}

function code(text: string): string {
  return `\`${text}\``;
}

// Each check turns one keyword of a schema node into words, or nothing when the node lacks it.
const validationWords: ((node: JsonSchema) => string | undefined)[] = [
  (node) => node.enum && `one of ${node.enum.map(code).join(', ')}`,
  (node) => (node.minimum === undefined ? undefined : `≥ ${node.minimum}`),
  (node) => (node.maximum === undefined ? undefined : `≤ ${node.maximum}`),
  (node) => (node.minLength === undefined ? undefined : node.minLength === 1 ? 'not empty' : `at least ${node.minLength} characters`),
  (node) => (node.maxLength === undefined ? undefined : `at most ${node.maxLength} characters`),
  // A quantity's pattern is Kubernetes' own; its type column already says what it accepts.
  (node) => (node.pattern === undefined || node['x-kubernetes-int-or-string'] === true ? undefined : `pattern ${code(node.pattern)}`),
  (node) => (node.format === undefined || node.format === 'int32' ? undefined : `format ${node.format}`),
  (node) => (node.maxItems === undefined ? undefined : `at most ${node.maxItems} items`),
  (node) => (node['x-kubernetes-list-type'] === 'set' ? 'no duplicates' : undefined),
  (node) => node['x-kubernetes-list-map-keys'] && `one item per ${node['x-kubernetes-list-map-keys'].map(code).join(', ')}`,
];

function validationOf(node: JsonSchema, required: boolean): string {
  const words = validationWords.map((describe) => describe(node)).filter((word) => word !== undefined);
  const rules = (node['x-kubernetes-validations'] ?? []).map((rule) => `rule: ${rule.message}`);
  return [...(required ? ['required'] : []), ...words, ...rules].join('; ');
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function fieldTable(section: ObjectSection): string[] {
  const lines = ['| Field | Type | Default | Validation | Description |', '| --- | --- | --- | --- | --- |'];
  for (const [name, child] of Object.entries(section.schema.properties ?? {})) {
    const required = section.schema.required?.includes(name) ?? false;
    const defaultValue = child.default === undefined ? '' : code(JSON.stringify(child.default));
    const field = join(section.path, name);
    const description = child.description ?? metadataDescriptions[field] ?? '';
    const row = [code(field), typeOf(child), defaultValue, validationOf(child, required), description];
    lines.push(`| ${row.map(cell).join(' | ')} |`);
  }
  return lines;
}

function sectionLines(section: ObjectSection, kind: string): string[] {
  const title = section.path === '' ? kind : section.path;
  const lines = [`## ${code(title)}`, '', section.schema.description ?? ''];
  const rules = section.schema['x-kubernetes-validations'] ?? [];
  if (rules.length > 0) lines.push('', ...rules.map((rule) => `- Rule: ${rule.message}`));
  return [...lines, '', ...fieldTable(section), ''];
}

/** Every CEL rule of the schema, with the path of the node that holds it. */
export function ruleRows(schema: JsonSchema): RuleRow[] {
  const rows: RuleRow[] = [];
  const visit = (node: JsonSchema, at: string): void => {
    for (const rule of node['x-kubernetes-validations'] ?? []) rows.push({ path: at === '' ? '(root)' : at, ...rule });
    for (const [name, child] of Object.entries(node.properties ?? {})) visit(child, join(at, name));
    if (node.items !== undefined) visit(node.items, `${at}[]`);
  };
  visit(schema, '');
  return rows;
}

function headerLines(crd: CustomResourceDefinition): string[] {
  const { group, names } = crd.spec;
  const version = crd.spec.versions[0];
  if (version === undefined) throw new Error('the CRD has no version');
  const columns = version.additionalPrinterColumns.map((column) => `| ${column.name} | ${code(column.jsonPath)} | ${column.description} |`);
  return [
    '# Hearth API reference',
    '',
    '<!-- Generated from operator/src/api/hearth-crd.ts by operator/src/api/generate.ts: do not edit, run `make crds`. -->',
    '',
    `${code(names.kind)} (${code(`${group}/${version.name}`)}) is namespaced; plural ${code(names.plural)}, short name ${names.shortNames.map(code).join(', ')}, categories ${names.categories.map(code).join(', ')}. ` +
      `The status is a subresource: \`kubectl patch --subresource=status\` changes it without bumping \`metadata.generation\`. ` +
      'The CRD is `crds/hearth.dev_hearths.yaml`; examples are in `docs/examples/`.',
    '',
    'A default of `{}` on an object means its own defaults apply even when it is left out. Objects without one (the backends and services) are defaulted only when written. ' +
      'A `quantity` is a Kubernetes resource quantity: a number or a string such as `10Gi`, `500m`, `2`.',
    '',
    '`kubectl get hearth` shows:',
    '',
    '| Column | From | Meaning |',
    '| --- | --- | --- |',
    ...columns,
    '',
  ];
}

function rulesLines(schema: JsonSchema): string[] {
  const rows = ruleRows(schema).map((row) => `| ${[code(row.path), code(row.rule), row.message, row.reason].map(cell).join(' | ')} |`);
  return [
    '## Validation rules',
    '',
    'The API server evaluates these CEL rules (`x-kubernetes-validations`) on every create and update, after defaulting.',
    '',
    '| On | Rule | Message | Reason |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

export function renderCrdReference(crd: CustomResourceDefinition): string {
  const version = crd.spec.versions[0];
  if (version === undefined) throw new Error('the CRD has no version');
  const root = version.schema.openAPIV3Schema;
  const sections = objectSections(root, '').flatMap((section) => sectionLines(section, crd.spec.names.kind));
  return [...headerLines(crd), ...sections, ...rulesLines(root)].join('\n');
}
