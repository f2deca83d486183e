import assert from 'node:assert/strict';

/** A REST client of one department (its bearer token); `headers` go with every call of `post`/`put` that passes them. */
export const restAs = (baseUrl: string, token: string) => {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown> & { [k: string]: any }) };
  };
  return {
    get: (p: string) => call('GET', p),
    post: (p: string, b?: unknown, headers?: Record<string, string>) => call('POST', p, b ?? {}, headers),
    put: (p: string, b: unknown, headers?: Record<string, string>) => call('PUT', p, b, headers),
  };
};

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: () => { code: string; violations?: { field: string }[]; requestId?: string };
}

/** Raw calls of one department, for edge tests: any method, a body sent as is when it is a string. */
export const rawAs =
  (baseUrl: string, token: string) =>
  async (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<RawAnswer> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as ReturnType<RawAnswer['json']> };
  };

/** The answer is an RFC 9457 problem with this status and code, naming `field` if given, quoting the request id. */
export const assertProblem = (r: RawAnswer, status: number, code: string, field?: string): void => {
  assert.equal(r.status, status, r.text.slice(0, 300));
  assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const p = r.json();
  assert.equal(p.code, code);
  if (field !== undefined) assert.ok((p.violations ?? []).some((v) => v.field === field), `names ${field}: ${r.text.slice(0, 300)}`);
  assert.equal(p.requestId, r.headers.get('x-request-id'));
};
