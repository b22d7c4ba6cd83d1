// The clustered tier: the single tier's services, two or more of each behind autoscalers and
// disruption budgets, over backends with no single point of failure: CloudNativePG's PostgreSQL
// (or an external one), a NATS cluster with the event stream on three servers, and Redis with
// Sentinels (or an external one).
import { tierDefaults, type Hearth } from '../api/index.ts';
import type { TierContext } from './context.ts';
import type { DesiredObject } from './desired-object.ts';
import { databaseNotAvailable, type TierError } from './errors.ts';
import { desiredServerTier, type ServiceShape } from './single.ts';

export const clusteredShape: ServiceShape = { defaults: tierDefaults.clustered, highlyAvailable: true };

export function desiredClustered(hearth: Hearth, ctx: TierContext): DesiredObject[] {
  return desiredServerTier(hearth, ctx, clusteredShape);
}

/** What the cluster lacks for this Hearth to be built at all: a PostgreSQL it can run on. */
export function clusteredPrerequisite(hearth: Hearth, ctx: TierContext): TierError | undefined {
  if (hearth.spec.database?.external !== undefined || ctx.cloudNativePG) return undefined;
  return databaseNotAvailable();
}
