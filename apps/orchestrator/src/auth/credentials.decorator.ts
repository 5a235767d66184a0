import { SetMetadata } from '@nestjs/common';
import type { CredentialRule } from './domain/credential-fields';

export const CREDENTIALS_KEY = 'strata:credentials';

/**
 * The endpoint's body may carry credentials (credential-fields.ts says when): then only an
 * admin key may send it, whatever the endpoint's roles; others get 403 naming the field.
 */
export const MayCarryCredentials = (rule: CredentialRule) => SetMetadata(CREDENTIALS_KEY, rule);
