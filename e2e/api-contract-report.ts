/**
 * Reads schemathesis's NDJSON event report (`--report ndjson`) into the counts `make
 * api-contract` prints: every request it made, and its failures by kind.
 */

export interface ContractCounts {
  readonly requests: number;
  readonly operations: number;
  /** Responses with a 5xx status. */
  readonly serverErrors: number;
  /** Responses whose body, content type or headers break the document (response_schema_conformance and its kin). */
  readonly schemaViolations: number;
  /** Responses with a status the operation does not document (status_code_conformance). */
  readonly undocumentedStatuses: number;
  /** Every other failed check (a valid request refused, an invalid one accepted, a wrong answer to an undeclared method…). */
  readonly otherFailures: number;
  /** All failed checks, whatever their kind, plus the 5xx answers. */
  readonly total: number;
}

interface Check {
  readonly name: string;
  readonly status: string;
}

interface Scenario {
  readonly recorder?: {
    readonly label?: string;
    readonly checks?: Readonly<Record<string, readonly Check[]>>;
    readonly interactions?: Readonly<Record<string, { readonly response?: { readonly status_code?: number } | null }>>;
  };
}

const SCHEMA_CHECKS = new Set(['response_schema_conformance', 'content_type_conformance', 'response_headers_conformance']);

/** Which count a failed check adds to; a 5xx is counted from the responses, so its check is not counted twice. */
function kindOf(check: string): 'schema' | 'status' | 'server' | 'other' {
  if (SCHEMA_CHECKS.has(check)) return 'schema';
  if (check === 'status_code_conformance') return 'status';
  return check === 'not_a_server_error' ? 'server' : 'other';
}

function scenariosOf(ndjson: string): Scenario[] {
  return ndjson
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { ScenarioFinished?: Scenario }).ScenarioFinished)
    .filter((scenario): scenario is Scenario => scenario !== undefined);
}

export function contractCounts(ndjson: string): ContractCounts {
  const operations = new Set<string>();
  const failed = { schema: 0, status: 0, server: 0, other: 0 };
  let requests = 0;
  let serverErrors = 0;
  for (const { recorder = {} } of scenariosOf(ndjson)) {
    if (recorder.label !== undefined) operations.add(recorder.label);
    const statuses = Object.values(recorder.interactions ?? {}).map((interaction) => interaction.response?.status_code ?? 0);
    requests += statuses.length;
    serverErrors += statuses.filter((status) => status >= 500).length;
    const checks = Object.values(recorder.checks ?? {}).flat();
    for (const check of checks.filter(({ status }) => status === 'failure')) failed[kindOf(check.name)] += 1;
  }
  return {
    requests,
    operations: operations.size,
    serverErrors,
    schemaViolations: failed.schema,
    undocumentedStatuses: failed.status,
    otherFailures: failed.other,
    total: serverErrors + failed.schema + failed.status + failed.other,
  };
}
