import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldProblem } from '../errors.ts';

// The body is never coerced: "5" is not a quantity. Path and query strings are, because they arrive as text.
const bodyAjv = addFormats.default(
  new Ajv.default({
    allErrors: false,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: false,
    strict: false,
  }),
);
const textAjv = addFormats.default(
  new Ajv.default({
    allErrors: false,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: 'array',
    strict: false,
  }),
);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema as object) as ValidateFunction;
};

const PART_NAMES: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** Turns Ajv's errors into field problems that name the field and never echo the value. */
export function fieldProblems(errors: readonly ErrorObject[], part: string | undefined): FieldProblem[] {
  const prefix = PART_NAMES[part ?? 'body'] ?? 'body';
  return errors.map((error) => {
    const base = `${prefix}${pointerToPath(error.instancePath)}`;
    switch (error.keyword) {
      case 'additionalProperties':
        return {
          field: `${base}.${String(error.params.additionalProperty)}`,
          message: 'is not an accepted property',
        };
      case 'required':
        return { field: `${base}.${String(error.params.missingProperty)}`, message: 'is required' };
      case 'enum':
        return {
          field: base,
          message: `must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}`,
        };
      case 'const':
        return { field: base, message: `must be ${JSON.stringify(error.params.allowedValue)}` };
      case 'type':
        return {
          field: base,
          message: `must be ${error.params.type === 'integer' ? 'a whole number' : `of type ${String(error.params.type)}`}`,
        };
      default:
        return { field: base, message: error.message ?? 'is not valid' };
    }
  });
}

function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`))
    .join('');
}
