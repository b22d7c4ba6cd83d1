// The CRD without an API server: its schema against the TypeScript types (through the complete
// sample), and the habits every field and rule must keep. crd.test.ts checks what the API server does with it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { objectSections, ruleRows } from './crd-reference.ts';
import { buildHearthCrd } from './hearth-crd.ts';
import { completeHearthSpec, completeHearthStatus } from './hearth-sample.ts';
import { hearthPhases, hearthTiers, tierDefaults } from './hearth-types.ts';
import type { JsonSchema } from './json-schema.ts';

const crd = buildHearthCrd();
const version = crd.spec.versions[0];
if (version === undefined) throw new Error('the CRD has no version');
const root = version.schema.openAPIV3Schema;

function child(node: JsonSchema, name: string): JsonSchema {
  const found = node.properties?.[name] ?? (name === '[]' ? node.items : undefined);
  if (found === undefined) throw new Error(`the schema has no ${name}`);
  return found;
}

/** The schema node at a dotted path such as `spec.services.gateway.replicas` or `status.conditions.[]`. */
function at(path: string): JsonSchema {
  return path.split('.').reduce(child, root);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertScalar(node: JsonSchema, value: unknown, path: string): void {
  if (node['x-kubernetes-int-or-string'] === true) assert.ok(typeof value === 'string' || typeof value === 'number', path);
  else if (node.type === 'integer') assert.ok(Number.isInteger(value), path);
  else assert.equal(typeof value, node.type, path);
  if (node.enum !== undefined) assert.ok(node.enum.includes(String(value)), `${path}: ${String(value)} is not in the enum`);
}

/** Asserts that value has exactly the schema's properties at every level, and values of its types. */
function assertMatches(node: JsonSchema, value: unknown, path: string): void {
  if (node.properties !== undefined) {
    assert.ok(isRecord(value), `${path} is an object`);
    assert.deepEqual(Object.keys(value).sort(), Object.keys(node.properties).sort(), `the keys of ${path}: types vs schema`);
    for (const [name, property] of Object.entries(node.properties)) assertMatches(property, value[name], `${path}.${name}`);
  } else if (node.additionalProperties !== undefined) {
    assert.ok(isRecord(value), `${path} is a map`);
    for (const [name, item] of Object.entries(value)) assertMatches(node.additionalProperties, item, `${path}.${name}`);
  } else if (node.items !== undefined) {
    assert.ok(Array.isArray(value) && value.length > 0, `${path} is a non-empty array in the sample`);
    for (const item of value) assertMatches(node.items, item, `${path}[]`);
  } else {
    assertScalar(node, value, path);
  }
}

/** Every property of the schema with its dotted path, metadata excepted (the API server forbids describing it). */
function allProperties(): { path: string; schema: JsonSchema }[] {
  return objectSections(root, '').flatMap((section) =>
    Object.entries(section.schema.properties ?? {}).map(([name, schema]) => ({ path: section.path === '' ? name : `${section.path}.${name}`, schema })),
  );
}

describe('the Hearth CRD schema', () => {
  it('has exactly the fields of HearthSpec and HearthStatus, with values of their types', () => {
    assertMatches(at('spec'), completeHearthSpec, 'spec');
    assertMatches(at('status'), completeHearthStatus, 'status');
  });

  it('takes its enums from the constants the types are made of', () => {
    assert.deepEqual(at('spec.tier').enum, hearthTiers);
    assert.deepEqual(at('status.tier').enum, hearthTiers);
    assert.deepEqual(at('status.phase').enum, hearthPhases);
  });

  it('describes every field', () => {
    const undescribed = allProperties().filter(({ path, schema }) => path !== 'metadata' && (schema.description ?? '').trim() === '');
    assert.deepEqual(
      undescribed.map(({ path }) => path),
      [],
    );
  });

  it('gives every field a type (structural schema)', () => {
    const untyped = allProperties().filter(({ schema }) => schema.type === undefined && schema['x-kubernetes-int-or-string'] !== true);
    assert.deepEqual(
      untyped.map(({ path }) => path),
      [],
    );
  });

  it('refuses zero on every count of pods or instances', () => {
    const counts = allProperties().filter(({ path }) => /(replicas|Replicas|instances)$/.test(path));
    assert.ok(counts.length >= 9, `found ${counts.length} counts`);
    for (const { path, schema } of counts) assert.equal(schema.minimum, 1, path);
  });

  it('leaves the counts that depend on the tier to the operator, and says which it picks', () => {
    for (const path of ['spec.services.gateway.replicas', 'spec.database.instances', 'spec.nats.replicas', 'spec.redis.mode']) {
      assert.equal(at(path).default, undefined, path);
      assert.match(at(path).description ?? '', /in the single tier, .* in the clustered tier/, path);
    }
    assert.match(at('spec.nats.replicas').description ?? '', new RegExp(`${tierDefaults.clustered.natsReplicas} in the clustered tier`));
  });

  it('gives every CEL rule a reason and a message that names a field of the schema', () => {
    const rows = ruleRows(root);
    assert.ok(rows.length >= 5, `found ${rows.length} rules`);
    for (const row of rows) {
      const named = /^((spec|metadata)(\.[A-Za-z]+)+)/.exec(row.message)?.[1];
      assert.ok(named !== undefined, `the message of the rule on ${row.path} names no field: ${row.message}`);
      assert.doesNotThrow(() => at(named), `${row.path}: ${named} is not in the schema`);
      assert.ok(row.reason !== undefined, row.path);
    }
  });

  it('points each rule that has a fieldPath at a field of the schema', () => {
    const walk = (node: JsonSchema, path: string): void => {
      for (const rule of node['x-kubernetes-validations'] ?? []) {
        if (rule.fieldPath === undefined) continue;
        const target = `${path}${rule.fieldPath}`.replace(/^\./, '');
        assert.doesNotThrow(() => at(target), `${path}: ${rule.fieldPath}`);
      }
      for (const [name, property] of Object.entries(node.properties ?? {})) walk(property, `${path}.${name}`);
    };
    walk(root, '');
  });

  it('shows Tier, Phase, Paused, Version, URL and Age in kubectl get (and the migration stage with -o wide), and has the status subresource', () => {
    assert.deepEqual(
      version.additionalPrinterColumns.map((column) => `${column.name}${column.priority === undefined ? '' : `:${column.priority}`}`),
      ['Tier', 'Phase', 'Paused', 'Version', 'Migration:1', 'URL', 'Age'],
    );
    assert.deepEqual(version.subresources, { status: {} });
    assert.deepEqual(crd.spec.names.shortNames, ['hearth']);
  });
});
