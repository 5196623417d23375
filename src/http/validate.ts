/**
 * Request validation with valibot through hono-openapi's validator, which also records each schema in
 * the OpenAPI document. Failures answer 400 in the API's error form, listing every issue.
 */
import type { Context } from 'hono';
import { validator } from 'hono-openapi';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { errorResponse } from './errors.js';

type Target = 'json' | 'query' | 'param';

function issuePath(issue: StandardSchemaV1.Issue): string {
  return (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || '(body)';
}

function onInvalid(result: { success: boolean; error?: readonly StandardSchemaV1.Issue[] }, c: Context) {
  if (result.success) return undefined;
  const issues = (result.error ?? []).map((issue) => ({ path: issuePath(issue), message: issue.message }));
  const first = issues[0];
  const message = first ? `${first.path}: ${first.message}` : 'The request is not valid.';
  return errorResponse(c, 400, { code: 'invalid_request', message, issues });
}

/** Validates one part of the request against a valibot schema. */
export function validate<S extends StandardSchemaV1, T extends Target>(target: T, schema: S) {
  return validator(target, schema, onInvalid as never);
}
