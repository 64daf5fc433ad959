import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, PlatformErrors } from '../errors.ts';
import { internalProblem, PROBLEM_CONTENT_TYPE, toProblem } from './problem.ts';
import { fieldProblems } from './validation.ts';

/** The one place where any error becomes an RFC 9457 response. Nothing internal ever reaches the client. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error, request);
    if (appError.status >= 500) {
      request.log.error(
        { err: error, code: error instanceof AppError ? error.code : appError.code },
        'request failed',
      );
    } else {
      request.log.info({ code: appError.code, status: appError.status }, 'request refused');
    }
    return sendProblem(reply, appError, request.id);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, PlatformErrors.PLATFORM_NOT_FOUND('No such resource.'), request.id),
  );
}

export function sendProblem(reply: FastifyReply, error: AppError, requestId: string): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(toProblem(error, requestId));
}

const PARSER_ERRORS: Record<string, () => AppError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => PlatformErrors.PLATFORM_MALFORMED_BODY('The body is not valid JSON.'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    PlatformErrors.PLATFORM_MALFORMED_BODY('The body is empty but the content type says JSON.'),
  FST_ERR_CTP_BODY_TOO_LARGE: () => PlatformErrors.PLATFORM_BODY_TOO_LARGE('The request body is too large.'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    PlatformErrors.PLATFORM_UNSUPPORTED_MEDIA_TYPE('This content type is not accepted here.'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    PlatformErrors.PLATFORM_MALFORMED_BODY('The Content-Length header does not match the body.'),
  FST_ERR_CTP_INVALID_TYPE: () =>
    PlatformErrors.PLATFORM_UNSUPPORTED_MEDIA_TYPE('The content type is malformed.'),
};

function toAppError(error: FastifyError, request: FastifyRequest): AppError {
  // A module's own 500 (a vault failure, say) keeps its code in the log, but the client sees nothing of it.
  if (error instanceof AppError) return error.status === 500 ? internalProblem(request.id) : error;
  if (error.validation) {
    return PlatformErrors.PLATFORM_VALIDATION_FAILED('The request does not match the schema.', {
      errors: fieldProblems(error.validation as never, error.validationContext),
    });
  }
  const known = error.code ? PARSER_ERRORS[error.code] : undefined;
  if (known) return known();
  // JSON syntax errors and secure-json-parse's prototype-poisoning refusal arrive as plain 400s.
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return PlatformErrors.PLATFORM_MALFORMED_BODY('The body is not valid JSON.');
  }
  if (error.statusCode === 413)
    return PARSER_ERRORS.FST_ERR_CTP_BODY_TOO_LARGE?.() ?? internalProblem(request.id);
  if (error.statusCode === 415) {
    return PlatformErrors.PLATFORM_UNSUPPORTED_MEDIA_TYPE('This content type is not accepted here.');
  }
  if (error.statusCode === 405) return PlatformErrors.PLATFORM_METHOD_NOT_ALLOWED('Method not allowed.');
  if (isDatabaseUnavailable(error)) {
    return PlatformErrors.PLATFORM_UNAVAILABLE('The service is temporarily unavailable; try again shortly.', {
      headers: { 'retry-after': '5' },
    });
  }
  return internalProblem(request.id);
}

function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return (
    code === 'ECONNREFUSED' || code === '57P01' || code === '57P03' || code === '08006' || code === '08001'
  );
}
