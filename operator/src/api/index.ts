// The Hearth API: its types, its constants and the CRD built from them.
export * from './hearth-types.ts';
export { compareSemver, newestOf, parseSemver, type SemanticVersion } from './semver.ts';
export { buildHearthCrd, type CustomResourceDefinition, type PrinterColumn } from './hearth-crd.ts';
export type { JsonSchema, ValidationRule } from './json-schema.ts';
export * from './hearth-backup-types.ts';
export { buildHearthBackupCrd, buildHearthRestoreCrd } from './hearth-backup-crd.ts';
export { cronShape } from './archive-schema.ts';
