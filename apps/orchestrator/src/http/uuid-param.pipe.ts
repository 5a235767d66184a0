import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { invalidRequest } from '../errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Rejects a path parameter that is not a UUID, naming the parameter. */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (UUID.test(value)) return value.toLowerCase();
    const field = metadata.data ?? 'id';
    throw invalidRequest([{ field, rule: 'isUuid', message: `${field} must be a UUID` }]);
  }
}
