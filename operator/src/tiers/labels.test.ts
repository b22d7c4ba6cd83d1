import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commonLabels, instanceLabels, instanceSelector, labelValue, selectorLabels } from './labels.ts';

describe('labels', () => {
  it('selector labels: name, instance and component only', () => {
    const cases = [
      {
        instance: 'acme',
        component: 'all' as const,
        want: { 'app.kubernetes.io/name': 'hearth', 'app.kubernetes.io/instance': 'acme', 'app.kubernetes.io/component': 'all' },
      },
      {
        instance: 'globex',
        component: 'postgres' as const,
        want: { 'app.kubernetes.io/name': 'hearth', 'app.kubernetes.io/instance': 'globex', 'app.kubernetes.io/component': 'postgres' },
      },
    ];
    for (const { instance, component, want } of cases) assert.deepEqual(selectorLabels(instance, component), want);
  });

  it('common labels: the selector labels, part-of, managed-by and the version when given', () => {
    const cases = [
      {
        name: 'with a version',
        labels: commonLabels('acme', 'gateway', '0.1.0'),
        want: {
          'app.kubernetes.io/name': 'hearth',
          'app.kubernetes.io/instance': 'acme',
          'app.kubernetes.io/component': 'gateway',
          'app.kubernetes.io/part-of': 'hearth',
          'app.kubernetes.io/managed-by': 'hearth-operator',
          'app.kubernetes.io/version': '0.1.0',
        },
      },
      {
        name: 'without a version',
        labels: commonLabels('acme', 'session'),
        want: {
          'app.kubernetes.io/name': 'hearth',
          'app.kubernetes.io/instance': 'acme',
          'app.kubernetes.io/component': 'session',
          'app.kubernetes.io/part-of': 'hearth',
          'app.kubernetes.io/managed-by': 'hearth-operator',
        },
      },
      { name: 'a version with nothing label-safe', labels: commonLabels('acme', 'all', '___'), want: commonLabels('acme', 'all') },
    ];
    for (const { name, labels, want } of cases) assert.deepEqual(labels, want, name);
  });

  it('the selector labels are a subset of the common labels', () => {
    const common = commonLabels('acme', 'realtime', '9.9.9');
    for (const [key, value] of Object.entries(selectorLabels('acme', 'realtime'))) assert.equal(common[key], value, key);
  });

  it('instance labels and their selector string', () => {
    assert.deepEqual(instanceLabels('acme'), {
      'app.kubernetes.io/name': 'hearth',
      'app.kubernetes.io/instance': 'acme',
      'app.kubernetes.io/managed-by': 'hearth-operator',
    });
    assert.equal(instanceSelector('acme'), 'app.kubernetes.io/name=hearth,app.kubernetes.io/instance=acme,app.kubernetes.io/managed-by=hearth-operator');
  });

  it('label values: what spec.version allows made into what a label allows', () => {
    const cases = [
      { raw: '0.1.0', want: '0.1.0' },
      { raw: 'v1.2.3-rc.1', want: 'v1.2.3-rc.1' },
      { raw: '_latest', want: 'latest' },
      { raw: '1.0-', want: '1.0' },
      { raw: 'a'.repeat(128), want: 'a'.repeat(63) },
      { raw: `${'a'.repeat(62)}.b`, want: 'a'.repeat(62) },
      { raw: '---', want: '' },
    ];
    for (const { raw, want } of cases) assert.equal(labelValue(raw), want, raw);
  });
});
