// The wire shape of the parts of apiextensions.k8s.io/v1 the Hearth CRD uses, and small builders
// for schema nodes. The client library's V1JSONSchemaProps renames fields (`_default`,
// `xKubernetesValidations`), so the generated YAML is written from these types instead.

export type ValidationReason = 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';

/** A CEL rule (`x-kubernetes-validations`); `message` names the field it is about. */
export interface ValidationRule {
  rule: string;
  message: string;
  /** Relative to the schema node that holds the rule, e.g. `.nats.replicas`. */
  fieldPath?: string;
  reason: ValidationReason;
}

export interface JsonSchema {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  format?: string;
  enum?: readonly string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  required?: string[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema;
  'x-kubernetes-int-or-string'?: true;
  /** An object kept as it is, unchecked (a snapshot the operator writes). */
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: ValidationRule[];
}

type Extra = Omit<JsonSchema, 'description' | 'type' | 'properties'>;

export function stringField(description: string, extra: Extra = {}): JsonSchema {
  return { description, type: 'string', ...extra };
}

export function integerField(description: string, extra: Extra = {}): JsonSchema {
  return { description, type: 'integer', format: 'int32', ...extra };
}

export function booleanField(description: string, defaultValue?: boolean): JsonSchema {
  return defaultValue === undefined ? { description, type: 'boolean' } : { description, type: 'boolean', default: defaultValue };
}

export function enumField(description: string, values: readonly string[], extra: Extra = {}): JsonSchema {
  return { description, type: 'string', enum: values, ...extra };
}

export function objectField(description: string, properties: Record<string, JsonSchema>, extra: Extra = {}): JsonSchema {
  return { description, type: 'object', properties, ...extra };
}

// Unsigned: no size or resource amount of a Hearth is negative.
const quantityPattern = '^(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** A resource quantity (`10Gi`, `500m`, `2`), as Kubernetes' own types declare it. */
export function quantityField(description: string, extra: Extra = {}): JsonSchema {
  return {
    description,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: quantityPattern,
    // Bounded so that the API server can bound the cost of a CEL rule comparing quantities.
    maxLength: 64,
    'x-kubernetes-int-or-string': true,
    ...extra,
  };
}
