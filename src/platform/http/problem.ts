import { AppError, type FieldProblem, PlatformErrors } from '../errors.ts';

/** RFC 9457 problem details. `code` is Bulwark's stable error code; `errors` names each bad field. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance?: string;
  readonly requestId?: string;
  readonly errors?: readonly FieldProblem[];
  readonly [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problemType(code: string): string {
  return `urn:bulwark:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

export function toProblem(error: AppError, requestId: string): Problem {
  return {
    ...error.extensions,
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    requestId,
    ...(error.errors.length > 0 ? { errors: error.errors } : {}),
  };
}

/** What a client sees of an unexpected failure: nothing but an id to quote to support. */
export function internalProblem(requestId: string): AppError {
  return PlatformErrors.PLATFORM_INTERNAL(`Something went wrong on our side. Quote ${requestId} to support.`);
}

export { AppError };
