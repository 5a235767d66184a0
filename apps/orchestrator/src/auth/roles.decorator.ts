import { SetMetadata } from '@nestjs/common';

/** What an API key may do: admin everything; operator all but credentials and installation settings; tenant only its own resources. */
export type Role = 'admin' | 'operator' | 'tenant';

export const ROLES_KEY = 'strata:roles';

/** The roles that may call an endpoint; without it, every role may (tenants then see only their own resources). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
