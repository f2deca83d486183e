import { ERROR_TABLE, asGovError, type GovError } from './errors.ts';

/** RFC 9457 problem details, the HTTP edge's mapping of a GovError. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  rule?: string;
  violations?: { field: string; description: string }[];
  instance?: string;
  /** The x-request-id of the request, to quote when reporting a problem (it is in the logs too). */
  requestId?: string;
}

export const toProblem = (err: unknown, instance?: string): Problem => {
  const e: GovError = asGovError(err);
  const entry = ERROR_TABLE[e.code];
  const problem: Problem = {
    type: `urn:govmesh:error:${e.code}`,
    title: entry.title,
    status: entry.httpStatus,
    detail: e.code === 'GOV_ERR_INTERNAL' ? 'internal error' : e.message,
    code: e.code,
  };
  if (e.rule !== undefined) problem.rule = e.rule;
  if (e.violations.length > 0) problem.violations = [...e.violations];
  if (instance !== undefined) problem.instance = instance;
  return problem;
};

/** Dead-letter headers for an event that failed permanently. */
export const toDeadLetterHeaders = (err: unknown): Record<string, string> => {
  const e = asGovError(err);
  const cause = e.code === 'GOV_ERR_INTERNAL' && e.cause instanceof Error ? e.cause.message : e.message;
  const headers: Record<string, string> = { 'x-error-code': e.code, 'x-error-message': cause.slice(0, 2000) };
  if (e.rule !== undefined) headers['x-error-rule'] = e.rule;
  if (e.violations.length > 0) headers['x-error-fields'] = e.violations.map((v) => v.field).join(',');
  return headers;
};
