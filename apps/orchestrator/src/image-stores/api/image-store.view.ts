import { ApiProperty } from '@nestjs/swagger';
import { IMAGE_STORE_STATUSES, type ImageStoreRow } from '../../read-model/domain/rows';

export class ImageStoreView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() zoneId!: string;
  @ApiProperty({ description: "The directory on the image service's (and data mover's) hosts" }) path!: string;
  @ApiProperty({ type: 'integer', description: 'Of the file system holding the directory, when the store was added' }) capacityBytes!: number;
  @ApiProperty({ type: 'integer', description: 'Free bytes of that file system, when the store was added' }) freeBytes!: number;
  @ApiProperty({ enum: IMAGE_STORE_STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class ImageStorePage {
  @ApiProperty({ type: [ImageStoreView] }) items!: ImageStoreView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}

export class ImageStoreAccepted {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}' })
  jobId!: string;

  @ApiProperty({ format: 'uuid', description: 'The image store the command is about; for POST /image-stores, the id the new store will have' })
  imageStoreId!: string;
}

/** Documentation only: the body is checked by the AddImageStore command's own rules, the image service's. */
export class AddImageStoreRequest {
  @ApiProperty({ example: 'secondary-1', maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }) name!: string;
  @ApiProperty({ example: 'zone-1', maxLength: 128 }) zoneId!: string;
  @ApiProperty({ example: '/srv/strata/images', description: 'An absolute directory path, local or an NFS mount present at the same path on every host that reads it' })
  path!: string;
}

export function toImageStoreView(row: ImageStoreRow): ImageStoreView {
  return {
    id: row.id,
    name: row.name,
    zoneId: row.zoneId,
    path: row.path,
    capacityBytes: row.capacityBytes,
    freeBytes: row.freeBytes,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
