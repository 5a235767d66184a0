import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  TEMPLATE_BASE_STATUSES,
  TEMPLATE_COPY_STATUSES,
  TEMPLATE_STATUSES,
  type ErrorDetails,
  type TemplateBaseRow,
  type TemplateRow,
} from '../../read-model/domain/rows';
import { VolumeErrorView } from '../../volumes/api/volume.view';

const errorView = (e: ErrorDetails | null): VolumeErrorView | null => (e ? { code: e.code, category: e.category, message: e.message } : null);

export class ChecksumView {
  @ApiProperty({ enum: ['md5', 'sha1', 'sha256', 'sha512'] }) algorithm!: string;
  @ApiProperty({ description: 'Lower-case hex' }) value!: string;
}

export class TemplateCopyView {
  @ApiProperty({ format: 'uuid' }) imageStoreId!: string;
  @ApiProperty() zoneId!: string;
  @ApiProperty({ enum: TEMPLATE_COPY_STATUSES }) status!: string;
  @ApiProperty({ type: String, nullable: true, description: "Relative to the image store's path; null until in place" }) file!: string | null;
  @ApiProperty({ type: VolumeErrorView, nullable: true }) error!: VolumeErrorView | null;
}

export class TemplateSourceView {
  @ApiProperty({ enum: ['url', 'upload', 'volume', 'snapshot'] }) kind!: string;
  @ApiPropertyOptional({ description: 'kind url' }) url?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'kind volume or snapshot: the volume exported (or the one the snapshot is of)' }) volumeId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'kind snapshot' }) snapshotId?: string;
}

export class TemplateView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['template', 'iso'] }) kind!: string;
  @ApiProperty({ enum: ['qcow2', 'raw', 'iso'], description: 'As declared at registration' }) declaredFormat!: string;
  @ApiProperty({ type: String, nullable: true, description: 'As read from the file (qemu-img); null until registered' }) detectedFormat!: string | null;
  @ApiProperty({ enum: TEMPLATE_STATUSES }) status!: string;
  @ApiProperty({ type: [TemplateCopyView], description: 'Its files on the zones’ image stores' }) copies!: TemplateCopyView[];
  @ApiProperty({ type: 'integer', nullable: true, description: 'The guest-visible size; the least a ROOT volume made from it may have' }) virtualSizeBytes!: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) physicalSizeBytes!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Of the stored file, whatever checksum was declared' }) sha256!: string | null;
  @ApiProperty({ type: ChecksumView, nullable: true, description: 'The checksum given at registration' }) checksumDeclared!: ChecksumView | null;
  @ApiProperty({ type: Number, nullable: true, description: "The registration's transfer, percent; null before the first report or without a known length" })
  transferPercent!: number | null;
  @ApiProperty({ type: String, nullable: true }) osType!: string | null;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ description: 'Visible to every tenant' }) public!: boolean;
  @ApiProperty({ type: VolumeErrorView, nullable: true, description: 'Why the registration failed' }) error!: VolumeErrorView | null;
  @ApiProperty({ type: TemplateSourceView, nullable: true, description: 'Where its file came from; null for templates registered before sources were kept' })
  source!: TemplateSourceView | null;
  @ApiProperty({ type: String, nullable: true }) tenant!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class TemplateBaseView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) poolId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The volume the template was converted into' }) volumeId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The snapshot ROOT volumes are cloned from' }) snapshotId!: string | null;
  @ApiProperty({ enum: TEMPLATE_BASE_STATUSES }) status!: string;
  @ApiProperty({ type: 'integer' }) attempt!: number;
  @ApiProperty({ type: VolumeErrorView, nullable: true }) error!: VolumeErrorView | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class TemplateDetailView extends TemplateView {
  @ApiProperty({ type: [TemplateBaseView], description: 'Its cached bases on the pools it was deployed to' }) bases!: TemplateBaseView[];
}

export class TemplatePage {
  @ApiProperty({ type: [TemplateView] }) items!: TemplateView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}

export class TemplateAccepted {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}' })
  jobId!: string;

  @ApiProperty({ format: 'uuid', description: 'The template the command is about; for POST /templates, the id the new template will have' })
  templateId!: string;

  @ApiPropertyOptional({ description: 'Registration by upload only: PUT the file here (the token in it allows this one template only)' })
  uploadUrl?: string;
}

export class DeploymentAcceptedView {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}: its progress shows the steps (10 base requested, 50 base ready, 100 done)' })
  jobId!: string;

  @ApiProperty({ format: 'uuid', description: 'The id the new ROOT volume will have' })
  volumeId!: string;
}

export function toTemplateView(row: TemplateRow): TemplateView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    declaredFormat: row.declaredFormat,
    detectedFormat: row.detectedFormat,
    status: row.status,
    copies: row.copies.map((c) => ({ imageStoreId: c.imageStoreId, zoneId: c.zoneId, status: c.status, file: c.file, error: errorView(c.error) })),
    virtualSizeBytes: row.virtualSizeBytes,
    physicalSizeBytes: row.physicalSizeBytes,
    sha256: row.sha256,
    checksumDeclared: row.checksumDeclared ? { algorithm: row.checksumDeclared.algorithm, value: row.checksumDeclared.value } : null,
    transferPercent: row.transferPercent,
    osType: row.osType,
    description: row.description,
    public: row.public,
    error: errorView(row.error),
    source: row.source ? { ...row.source } : null,
    tenant: row.tenant,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toTemplateBaseView(row: TemplateBaseRow): TemplateBaseView {
  return {
    id: row.id,
    poolId: row.poolId,
    volumeId: row.volumeId,
    snapshotId: row.snapshotId,
    status: row.status,
    attempt: row.attempt,
    error: errorView(row.error),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toTemplateDetailView(detail: { template: TemplateRow; bases: readonly TemplateBaseRow[] }): TemplateDetailView {
  return { ...toTemplateView(detail.template), bases: detail.bases.map(toTemplateBaseView) };
}
