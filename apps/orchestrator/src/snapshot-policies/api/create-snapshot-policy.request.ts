import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';

const TIME_ZONE = { example: 'Europe/Berlin', description: 'An IANA time zone name (UTC offsets such as +01:00 are refused: they would not follow daylight saving)' };
const TIME = { example: '02:30', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM, 24 h, in timeZone' };

export class HourlyScheduleRequest {
  @ApiProperty({ enum: ['hourly'] }) kind!: 'hourly';
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 59, example: 15, description: 'The minute of every hour' }) minute!: number;
  @ApiProperty(TIME_ZONE) timeZone!: string;
}

export class DailyScheduleRequest {
  @ApiProperty({ enum: ['daily'] }) kind!: 'daily';
  @ApiProperty(TIME) time!: string;
  @ApiProperty(TIME_ZONE) timeZone!: string;
}

export class WeeklyScheduleRequest {
  @ApiProperty({ enum: ['weekly'] }) kind!: 'weekly';
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 6, example: 0, description: '0 = Sunday .. 6 = Saturday' }) dayOfWeek!: number;
  @ApiProperty(TIME) time!: string;
  @ApiProperty(TIME_ZONE) timeZone!: string;
}

export class MonthlyScheduleRequest {
  @ApiProperty({ enum: ['monthly'] }) kind!: 'monthly';
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 31, example: 1, description: '29-31 run on the last day of shorter months' }) dayOfMonth!: number;
  @ApiProperty(TIME) time!: string;
  @ApiProperty(TIME_ZONE) timeZone!: string;
}

/**
 * The documented shape of POST /volumes/{id}/snapshot-policies. Documentation only: the body
 * is checked by the CreateSnapshotPolicy command's own rules (@strata/contracts), with the
 * volume taken from the path; the schedule's rules are the snapshot service's, and a schedule
 * it refuses fails the job with policy.invalid_schedule.
 */
@ApiExtraModels(HourlyScheduleRequest, DailyScheduleRequest, WeeklyScheduleRequest, MonthlyScheduleRequest)
export class CreateSnapshotPolicyRequest {
  @ApiProperty({
    description:
      'When the policy runs, in its own time zone: hourly at a minute, daily at a time, weekly on a day (0 = Sunday) at a time, or monthly on a day ' +
      '(29-31 run on the last day of shorter months) at a time. Runs missed while the snapshot service is down are caught up once (the newest missed slot).',
    oneOf: [
      { $ref: getSchemaPath(HourlyScheduleRequest) },
      { $ref: getSchemaPath(DailyScheduleRequest) },
      { $ref: getSchemaPath(WeeklyScheduleRequest) },
      { $ref: getSchemaPath(MonthlyScheduleRequest) },
    ],
    discriminator: { propertyName: 'kind' },
    example: { kind: 'daily', time: '02:30', timeZone: 'Europe/Berlin' },
  })
  schedule!: HourlyScheduleRequest | DailyScheduleRequest | WeeklyScheduleRequest | MonthlyScheduleRequest;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1000, example: 7, description: "The policy's snapshots kept; beyond it the oldest (by due time) are deleted" })
  retention!: number;
}
