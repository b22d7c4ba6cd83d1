// Every pod count a Hearth's spec sets, with the field that sets it: what the operator's limit on
// replicas is checked against.
import { hearthServiceNames, type Hearth } from '../api/index.ts';

export interface ReplicaCount {
  /** The field, as a person writes it: spec.services.gateway.replicas. */
  readonly field: string;
  readonly count: number;
}

export function replicaCounts(hearth: Hearth): ReplicaCount[] {
  const { services, database, nats } = hearth.spec;
  const counts: { field: string; count: number | undefined }[] = [
    ...hearthServiceNames.flatMap((name) => {
      const service = services?.[name];
      const field = `spec.services.${name}`;
      return [
        { field: `${field}.replicas`, count: service?.replicas },
        { field: `${field}.autoscaling.minReplicas`, count: service?.autoscaling?.minReplicas },
        { field: `${field}.autoscaling.maxReplicas`, count: service?.autoscaling?.maxReplicas },
      ];
    }),
    { field: 'spec.database.instances', count: database?.instances },
    { field: 'spec.nats.replicas', count: nats?.replicas },
  ];
  return counts.filter((entry): entry is ReplicaCount => entry.count !== undefined);
}
