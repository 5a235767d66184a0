import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ViolationView {
  @ApiProperty({ example: 'sizeBytes' })
  field!: string;

  @ApiProperty({ example: 'min', description: 'The class-validator rule that failed' })
  rule!: string;

  @ApiProperty({ example: 'sizeBytes must not be less than 1' })
  message!: string;
}

/** The shape of every error the API answers. */
export class ErrorView {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'request.invalid', description: 'Stable code, e.g. volume.not_found' })
  code!: string;

  @ApiProperty()
  message!: string;

  @ApiPropertyOptional({ type: [ViolationView], description: 'One entry per broken rule (400 only)' })
  violations?: ViolationView[];
}
