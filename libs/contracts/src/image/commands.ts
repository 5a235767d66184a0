// class-validator's decorators read design-time metadata.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateBy, ValidateIf, ValidateNested } from 'class-validator';
import { IsResourceName } from '../storage/commands';

export const CHECKSUM_ALGORITHMS = ['md5', 'sha1', 'sha256', 'sha512'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];
/** Hex digits per algorithm: a value of the wrong length is refused at the edge. */
export const CHECKSUM_HEX_LENGTH: Readonly<Record<ChecksumAlgorithm, number>> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

export const IMAGE_FORMATS = ['qcow2', 'raw', 'iso'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];
export const TEMPLATE_KINDS = ['template', 'iso'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

/**
 * A directory that holds templates and ISOs for one zone (secondary storage): local, or an
 * NFS mount present at the same path on the image service's and the data mover's hosts.
 */
export class AddImageStoreData {
  @IsResourceName()
  name!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  zoneId!: string;

  @IsString()
  @MaxLength(1024)
  @Matches(/^\/[^\0]*$/, { message: 'path must be an absolute directory path' })
  path!: string;
}

/** Remove an image store; refused while templates have copies on it. */
export class RemoveImageStoreData {}

export class ChecksumData {
  @IsIn(CHECKSUM_ALGORITHMS, { message: `algorithm must be one of: ${CHECKSUM_ALGORITHMS.join(', ')}` })
  algorithm!: ChecksumAlgorithm;

  @IsString()
  @ValidateBy({
    name: 'hexOfAlgorithm',
    validator: {
      validate: (value: unknown, args) => {
        const length = CHECKSUM_HEX_LENGTH[(args?.object as ChecksumData).algorithm];
        return typeof value === 'string' && (length === undefined || new RegExp(`^[0-9a-fA-F]{${length}}$`).test(value));
      },
      defaultMessage: (args) => {
        const length = CHECKSUM_HEX_LENGTH[(args?.object as ChecksumData).algorithm];
        return length ? `value must be ${length} hex digits for ${(args?.object as ChecksumData).algorithm}` : 'value must be hex digits';
      },
    },
  })
  value!: string;
}

/** A template's descriptive settings, shared by registration, creation from a volume and update. */
export class TemplateSettingsData {
  @IsOptional()
  @IsString()
  @MaxLength(128)
  osType?: string;

  @IsOptional()
  @IsString()
  @MaxLength(1024)
  description?: string;

  /** Visible to every tenant (else only to the registering tenant and operators). */
  @IsOptional()
  @IsBoolean()
  public?: boolean;
}

/**
 * Register a template (a disk image to make ROOT volumes from) or an ISO (the command's
 * aggregate is the new template's id), kept on the image store of zoneId. Either from an
 * http(s) URL, downloaded by the image service (resumable, with progress), or by upload
 * (the orchestrator answers with the URL to PUT the bytes to). The checksum, when given, is
 * verified; the real format is read with qemu-img and must be the declared one.
 */
export class RegisterTemplateData extends TemplateSettingsData {
  @IsResourceName()
  name!: string;

  @IsIn(TEMPLATE_KINDS, { message: 'kind must be template or iso' })
  kind!: TemplateKind;

  @IsIn(IMAGE_FORMATS, { message: 'format must be one of: qcow2, raw, iso' })
  @ValidateBy({
    name: 'formatOfKind',
    validator: {
      validate: (value: unknown, args) => ((args?.object as RegisterTemplateData).kind === 'iso') === (value === 'iso'),
      defaultMessage: () => 'format must be iso for an ISO, and qcow2 or raw for a template',
    },
  })
  format!: ImageFormat;

  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  zoneId!: string;

  // Exactly one of url and upload.
  @ValidateIf((o: RegisterTemplateData) => o.url !== undefined || o.upload !== true)
  @IsString({ message: 'url must be the http(s) address to download from (or set upload: true)' })
  @MaxLength(2048)
  @Matches(/^https?:\/\/[^\s/@]+(\/[^\s]*)?$/i, { message: 'url must be an http(s) URL without credentials (user:password@ is refused)' })
  @ValidateBy({
    name: 'urlOrUpload',
    validator: {
      validate: (_: unknown, args) => (args?.object as RegisterTemplateData).upload !== true,
      defaultMessage: () => 'give either url or upload, not both',
    },
  })
  url?: string;

  @IsOptional()
  @IsBoolean()
  upload?: boolean;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ChecksumData)
  checksum?: ChecksumData;

}

/** Change a template's descriptive settings; only the fields given change. */
export class UpdateTemplateData extends TemplateSettingsData {
  @IsOptional()
  @IsResourceName()
  name?: string;
}

/** Delete a template: every copy on the image stores, and each pool's cached base once no volume depends on it. */
export class DeleteTemplateData {}

/** Copy a ready template to another zone's image store, from an existing copy (never downloaded again). */
export class CopyTemplateData {
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  zoneId!: string;
}

/**
 * Make sure a template has a cached base on a pool (the command's aggregate is the base's id,
 * templateBaseId(templateId, poolId)): the first request converts the template into a volume on
 * the pool and snapshots it; concurrent and later requests join or find it. Sent by the
 * orchestrator's deploy saga.
 */
export class SpoolTemplateData {
  @IsUUID('all')
  templateId!: string;

  @IsUUID('all')
  poolId!: string;

  /** The registered host that writes the template into the base volume; default: the storage service's STRATA_DATA_MOVER_HOST_ID. */
  @IsOptional()
  @IsUUID('4')
  dataMoverHostId?: string;
}

/**
 * Make a template from a volume's content (the command's aggregate is the new template's id),
 * exported as QCOW2 to the zone's image store: from the volume itself, which must be detached,
 * or, with snapshotId, from that snapshot of the volume (the way to take a template of a
 * running VM's disk).
 */
export class CreateTemplateFromVolumeData extends TemplateSettingsData {
  @IsResourceName()
  name!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  zoneId!: string;

  @IsUUID('all')
  volumeId!: string;

  @IsOptional()
  @IsUUID('all')
  snapshotId?: string;
}

export interface ImageCommandDataMap {
  AddImageStore: AddImageStoreData;
  RemoveImageStore: RemoveImageStoreData;
  RegisterTemplate: RegisterTemplateData;
  UpdateTemplate: UpdateTemplateData;
  DeleteTemplate: DeleteTemplateData;
  CopyTemplate: CopyTemplateData;
  SpoolTemplate: SpoolTemplateData;
  CreateTemplateFromVolume: CreateTemplateFromVolumeData;
}
export type ImageCommandType = keyof ImageCommandDataMap;

export const imageCommandSchemas: { readonly [K in ImageCommandType]: new () => ImageCommandDataMap[K] } = {
  AddImageStore: AddImageStoreData,
  RemoveImageStore: RemoveImageStoreData,
  RegisterTemplate: RegisterTemplateData,
  UpdateTemplate: UpdateTemplateData,
  DeleteTemplate: DeleteTemplateData,
  CopyTemplate: CopyTemplateData,
  SpoolTemplate: SpoolTemplateData,
  CreateTemplateFromVolume: CreateTemplateFromVolumeData,
};
