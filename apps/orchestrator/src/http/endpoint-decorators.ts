import { applyDecorators, HttpCode, UseGuards, type Type } from '@nestjs/common';
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
import { ErrorView } from './error.view';
import { OperatorOnlyGuard } from './operator-only.guard';

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
  /** Guarded by OperatorOnlyGuard, and its 403 documented. */
  operatorOnly?: boolean;
  badRequest?: string;
  notFound?: ErrorDoc;
  conflict?: string;
}

/** A command: answers 202 with the job, takes an optional X-Correlation-Id. */
export function CommandEndpoint(options: CommandEndpointOptions): MethodDecorator {
  const { summary, accepted, body, operatorOnly, badRequest, notFound, conflict } = options;
  return stacked(
    HttpCode(202),
    operatorOnly && UseGuards(OperatorOnlyGuard),
    ApiOperation({ summary }),
    ApiHeader({ name: 'X-Correlation-Id', required: false }),
    body && ApiBody(body),
    ApiAcceptedResponse(typeof accepted === 'function' ? { type: accepted } : accepted),
    badRequest !== undefined && ApiBadRequestResponse(errorView(badRequest)),
    operatorOnly && ApiForbiddenResponse(errorView('auth.operator_only: the request carried X-Tenant')),
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
