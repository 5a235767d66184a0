import { ApiProperty } from '@nestjs/swagger';
import { DRIFT_STATES, ORPHAN_REMOVAL_STATUSES, type PoolDriftRow } from '../../read-model/domain/rows';

export class OrphanRemovalErrorView {
  @ApiProperty({ example: 'backend.busy' }) code!: string;
  @ApiProperty({ example: 'backend' }) category!: string;
  @ApiProperty() message!: string;
}

export class OrphanRemovalView {
  @ApiProperty({ enum: ORPHAN_REMOVAL_STATUSES }) status!: string;
  @ApiProperty({ type: OrphanRemovalErrorView, nullable: true, description: 'Why it failed' }) error!: OrphanRemovalErrorView | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class DriftOrphanView {
  @ApiProperty({ example: 'legacy-disk-7', description: 'The object on the backend that no volume owns' }) backendName!: string;
  @ApiProperty() sizeBytes!: number;
  @ApiProperty({ type: OrphanRemovalView, nullable: true, description: 'Its removal, when one was asked for' })
  removal!: OrphanRemovalView | null;
}

export class DriftMissingView {
  @ApiProperty({ format: 'uuid', description: 'A volume the log says exists' }) volumeId!: string;
  @ApiProperty({ description: 'Its backend object, which the backend does not list' }) backendName!: string;
}

export class OrphanRemovalRecordView extends OrphanRemovalView {
  @ApiProperty() backendName!: string;
}

export class PoolDriftView {
  @ApiProperty({ format: 'uuid' }) poolId!: string;
  @ApiProperty({ enum: DRIFT_STATES, description: 'drift: the last reconciliation found some; clear: none; never_reconciled: none reported yet' })
  state!: string;
  @ApiProperty({ type: [DriftOrphanView] }) orphans!: DriftOrphanView[];
  @ApiProperty({ type: [DriftMissingView] }) missing!: DriftMissingView[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the last finding was recorded' })
  detectedAt!: string | null;
  @ApiProperty({ type: [OrphanRemovalRecordView], description: 'Every orphan removal asked for, removed ones included' })
  removals!: OrphanRemovalRecordView[];
}

export function toPoolDriftView(row: PoolDriftRow): PoolDriftView {
  const removals = row.removals.map((r) => ({ backendName: r.backendName, status: r.status, error: r.error ? { ...r.error } : null, updatedAt: r.updatedAt }));
  const removalOf = (backendName: string) => {
    const r = removals.find((x) => x.backendName === backendName);
    return r ? { status: r.status, error: r.error, updatedAt: r.updatedAt } : null;
  };
  return {
    poolId: row.poolId,
    state: row.state,
    orphans: row.orphans.map((o) => ({ backendName: o.backendName, sizeBytes: o.sizeBytes, removal: removalOf(o.backendName) })),
    missing: row.missing.map((m) => ({ volumeId: m.volumeId, backendName: m.backendName })),
    detectedAt: row.detectedAt ? row.detectedAt.toISOString() : null,
    removals,
  };
}
