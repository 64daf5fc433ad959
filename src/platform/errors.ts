/**
 * Every error a client may see is an AppError with a stable code from a module's catalogue. The public
 * message and details are what the client reads; `cause` is logged with the request id and never sent.
 */
export interface FieldProblem {
  /** Where the problem is, e.g. `body.items[0].quantity` or `query.limit`. */
  readonly field: string;
  readonly message: string;
}

export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: readonly FieldProblem[];
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    spec: ErrorSpec,
    detail: string,
    options: {
      errors?: readonly FieldProblem[];
      cause?: unknown;
      headers?: Record<string, string>;
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = spec.status;
    this.title = spec.title;
    this.detail = detail;
    this.errors = options.errors ?? [];
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

/**
 * Builds a typed factory per catalogue entry: `CommerceErrors.ORDER_NOT_FOUND('...')`.
 * The catalogue is plain data so docs/errors.md and a uniqueness test can read it.
 */
export function defineErrors<const C extends Record<string, ErrorSpec>>(catalogue: C) {
  const factories = {} as {
    [K in keyof C]: (detail: string, options?: ConstructorParameters<typeof AppError>[3]) => AppError;
  };
  for (const code of Object.keys(catalogue) as (keyof C & string)[]) {
    const spec = catalogue[code] as ErrorSpec;
    factories[code] = (detail, options) => new AppError(code, spec, detail, options);
  }
  return Object.assign(factories, { catalogue });
}

/** Errors that belong to no feature module: the HTTP layer and the database. */
export const PlatformErrors = defineErrors({
  PLATFORM_VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  PLATFORM_MALFORMED_BODY: { status: 400, title: 'The request body could not be read' },
  PLATFORM_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  PLATFORM_BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  PLATFORM_BODY_TOO_COMPLEX: { status: 400, title: 'The request body is nested or repeated too much' },
  PLATFORM_TIMEOUT: { status: 503, title: 'The request took too long' },
  PLATFORM_NOT_FOUND: { status: 404, title: 'Not found' },
  PLATFORM_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  PLATFORM_IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key reused with a different request' },
  PLATFORM_UNAVAILABLE: { status: 503, title: 'Service temporarily unavailable' },
  PLATFORM_INTERNAL: { status: 500, title: 'Internal error' },
});
