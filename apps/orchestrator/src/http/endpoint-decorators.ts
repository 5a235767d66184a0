import { applyDecorators, HttpCode, type Type } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  type ApiBodyOptions,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { MayCarryCredentials } from '../auth/credentials.decorator';
import type { CredentialRule } from '../auth/domain/credential-fields';
import { Roles } from '../auth/roles.decorator';
import { ErrorView } from './error.view';

/** An error response: its description (the codes it carries), or true for one documented without a description. */
type ErrorDoc = string | true;

const errorView = (doc: ErrorDoc) => (doc === true ? { type: ErrorView } : { type: ErrorView, description: doc });

/**
 * Written stacks apply bottom-up while applyDecorators applies in order: reversing keeps the metadata
 * (and so the OpenAPI document's key order) as the stacks these replace made it.
 */
const stacked = (...decorators: (MethodDecorator | false | undefined)[]) =>
  applyDecorators(...decorators.filter((d): d is MethodDecorator => !!d).reverse());

export interface CommandEndpointOptions {
  summary: string;
  /** The 202 body, with a description where it needs one. */
  accepted: Type<unknown> | { type: Type<unknown>; description: string };
  body?: ApiBodyOptions;
  /** Shared infrastructure: the admin and operator roles only (a tenant key gets 403 auth.forbidden), documented. */
  operatorOnly?: boolean;
  /** The body may carry credentials, which only an admin key may send (credential-fields.ts); documented. */
  credentials?: CredentialRule;
  badRequest?: string;
  notFound?: ErrorDoc;
  conflict?: string;
}

/** A command: answers 202 with the job, takes an optional X-Correlation-Id. */
export function CommandEndpoint(options: CommandEndpointOptions): MethodDecorator {
  const { summary, accepted, body, operatorOnly, credentials, badRequest, notFound, conflict } = options;
  const forbidden = [
    operatorOnly && 'auth.forbidden: a tenant key (this needs the admin or operator role)',
    credentials && `auth.forbidden: ${credentials === 'pool' ? 'a pool URL with user info or a token, or a secret config key,' : 'a target of kind s3 (its secret key)'} sent without the admin role`,
  ].filter(Boolean);
  return stacked(
    HttpCode(202),
    operatorOnly && Roles('admin', 'operator'),
    credentials && MayCarryCredentials(credentials),
    ApiOperation({ summary }),
    ApiHeader({ name: 'X-Correlation-Id', required: false }),
    body && ApiBody(body),
    ApiAcceptedResponse(typeof accepted === 'function' ? { type: accepted } : accepted),
    badRequest !== undefined && ApiBadRequestResponse(errorView(badRequest)),
    forbidden.length > 0 && ApiForbiddenResponse(errorView(forbidden.join('; '))),
    notFound !== undefined && ApiNotFoundResponse(errorView(notFound)),
    conflict !== undefined && ApiConflictResponse(errorView(conflict)),
  );
}

export interface ReadEndpointOptions {
  summary?: string;
  ok: Type<unknown>;
  notFound?: ErrorDoc;
}

/** A read: 200 with the view, 404 where it reads one thing. */
export function ReadEndpoint(options: ReadEndpointOptions): MethodDecorator {
  const { summary, ok, notFound } = options;
  return stacked(
    summary !== undefined && ApiOperation({ summary }),
    ApiOkResponse({ type: ok }),
    notFound !== undefined && ApiNotFoundResponse(errorView(notFound)),
  );
}
