import { ApiProperty } from '@nestjs/swagger';

/** 202 answers: the job to follow, and the id of the resource the command is about. */
export class PoolAccepted {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}' })
  jobId!: string;

  @ApiProperty({ format: 'uuid', description: 'The pool the command is about; for POST /pools, the id the new pool will have' })
  poolId!: string;
}

export class VolumeAccepted {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}' })
  jobId!: string;

  @ApiProperty({ format: 'uuid' })
  volumeId!: string;
}

export class HostAccepted {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}' })
  jobId!: string;

  @ApiProperty({ format: 'uuid', description: 'The host the command is about; for POST /hosts, the id the new host will have' })
  hostId!: string;
}

export class SnapshotAccepted {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}' })
  jobId!: string;

  @ApiProperty({ format: 'uuid', description: 'The snapshot the command is about; for POST /volumes/{id}/snapshots, the id the new snapshot will have' })
  snapshotId!: string;
}

export class SnapshotPolicyAccepted {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}' })
  jobId!: string;

  @ApiProperty({ format: 'uuid', description: 'The policy the command is about; for POST /volumes/{id}/snapshot-policies, the id the new policy will have' })
  policyId!: string;
}

export class VmSnapshotAccepted {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /jobs/{jobId}' })
  jobId!: string;

  @ApiProperty({ format: 'uuid', description: 'The VM snapshot the command is about; for POST /vm-snapshots, the id the new VM snapshot will have' })
  vmSnapshotId!: string;
}
