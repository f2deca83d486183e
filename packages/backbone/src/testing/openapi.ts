/** An OpenAPI document as @fastify/swagger publishes it at /docs/json (the parts the edge checks need). */
export interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: { name: string; schema: unknown }[]; requestBody?: { content: Record<string, { schema: unknown }> } }>>;
}

/**
 * Every request string without maxLength, array without maxItems and number without both bounds
 * in an OpenAPI document: what a fuzzer would use to send a body the service cannot hold
 * (issue 13, defect 1). Empty when every field is bounded.
 */
export const unboundedFields = (doc: OpenApiDoc): string[] => {
  const out: string[] = [];
  const walk = (s: unknown, at: string): void => {
    if (s === null || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    const types = ([] as unknown[]).concat(o['type'] ?? []);
    if (types.includes('string') && o['enum'] === undefined && o['const'] === undefined && o['maxLength'] === undefined) out.push(`${at}: string without maxLength`);
    if (types.includes('array') && o['maxItems'] === undefined) out.push(`${at}: array without maxItems`);
    if ((types.includes('integer') || types.includes('number')) && (o['maximum'] === undefined || o['minimum'] === undefined)) out.push(`${at}: number without bounds`);
    for (const [k, v] of Object.entries(o)) if (typeof v === 'object') walk(v, `${at}.${k}`);
  };
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const p of op.parameters ?? []) walk(p.schema, `${method} ${path} ${p.name}`);
      for (const c of Object.values(op.requestBody?.content ?? {})) walk(c.schema, `${method} ${path} body`);
    }
  }
  return out;
};
