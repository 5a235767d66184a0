import { commandValidator, type CommandOf, type Validation } from '../command-validation';
import { imageCommandSchemas, type ImageCommandDataMap, type ImageCommandType } from './commands';

export type ImageCommand = CommandOf<ImageCommandDataMap>;
export type ImageCommandValidation = Validation<ImageCommand>;
export const IMAGE_COMMAND_TYPES = Object.keys(imageCommandSchemas) as ImageCommandType[];

/** Validates a decoded envelope as an image command: the envelope's rules, then the data's. */
export const validateImageCommand = commandValidator(imageCommandSchemas);
