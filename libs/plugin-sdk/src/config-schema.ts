/**
 * The validation decorators plugins use for their config classes. Plugins
 * import them from here rather than from class-validator: the SDK owns the
 * validation library (its version, and how parseConfigWith and checkManifest
 * read its rules), and a backend depends on the SDK alone. Re-export more
 * decorators here as plugins need them.
 */
export {
  IsArray,
  IsBoolean,
  IsObject,
  ArrayMaxSize,
  ArrayMinSize,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsPort,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  buildMessage,
  type ValidationOptions,
} from 'class-validator';
