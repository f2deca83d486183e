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
