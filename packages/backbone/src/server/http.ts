import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ERROR_TABLE, GovError, inputInvalid, type FieldViolation, asGovError } from '../errors/errors.ts';
import { toProblem } from '../errors/problem.ts';
import { RETRY_AFTER_SECONDS } from '../errors/unavailable.ts';
import type { Authenticator, Principal } from '../identity/principal.ts';
import type { Logger } from '../telemetry/logging.ts';
import type { BackboneMetrics } from '../telemetry/metrics.ts';
import { context, propagation, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import { SpanKind, tracer } from '../telemetry/tracing.ts';
import type { Database } from '../store/database.ts';
import { registerIdempotency } from './idempotency.ts';
import { documentRoute, problemSchema, TOKEN_HOWTO } from './openapi.ts';
import { boundRouteSchema, ID_MAX_LENGTH, isStrictDateTime, parseParams, requestIdOf, textViolations, traceparentOf } from './edge.ts';

export { ID_MAX_LENGTH, idSchema } from './edge.ts';

/** The largest request body (bytes); a larger one is 413. */
export const BODY_LIMIT = 1024 * 1024;

const spans = new WeakMap<FastifyRequest, Span>();
const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 431: 'Request Header Fields Too Large' };
const principals = new WeakMap<FastifyRequest, Principal>();

/**
 * The REST edge every service shares: OpenAPI docs at /docs, health at /healthz (process is up),
 * readiness at /readyz (dependencies reachable), Prometheus metrics at /metrics, and one error
 * handler that turns every error into RFC 9457 problem+json. Every answer, errors from the router
 * and the HTTP parser included, carries x-request-id and traceparent; a problem carries the
 * request id too. Hostile input is refused once here for every service (edge.ts).
 */
export interface HttpServerOptions {
  service: string;
  version: string;
  description: string;
  logger: Logger;
  metrics: BackboneMetrics;
  readiness: () => Promise<Readiness>;
  authenticator: Authenticator;
  /** Where commands claim their Idempotency-Key (the service's schema); without it, keys are not honoured. */
  commands?: { db: Database; schema: string };
}

/**
 * What /readyz reports: `checks` that must all hold for the service to take traffic (a failing
 * one answers 503), and `warnings` that an operator must act on soon but that do not stop the
 * service (e.g. the calendar's official coverage running out).
 */
export interface Readiness {
  checks: Record<string, boolean>;
  warnings: Record<string, string>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal(): Principal;
  }
}

export const createHttpServer = async (opts: HttpServerOptions): Promise<FastifyInstance> => {
  // Problems are sent from the error handler, and also from the router's framework errors (bad
  // percent-encoding, a path segment over ID_MAX_LENGTH) and the HTTP parser's client errors
  // (headers over the limit), which never reach a route.
  const sendProblem = (req: FastifyRequest, reply: FastifyReply, err: unknown) => {
    const problem = { ...toProblem(err, req.url), requestId: req.id };
    // 503: a dependency is out of reach (readiness says which); 429: a delivery limit. The client is told when to retry.
    const retryAfter = asGovError(err).retryAfterSeconds ?? (problem.status === 503 ? RETRY_AFTER_SECONDS : undefined);
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    if (problem.status >= 500) req.log[problem.status === 503 ? 'warn' : 'error']({ err, requestId: req.id }, 'request failed');
    void reply
      .status(problem.status)
      .header('x-request-id', req.id)
      .header('traceparent', reply.getHeader('traceparent') ?? traceparentOf(spans.get(req)))
      .type('application/problem+json')
      .send(problem);
  };
  const clientError = (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const requestId = requestIdOf(undefined);
    const e = err.code === 'HPE_HEADER_OVERFLOW'
      ? new GovError('GOV_ERR_HEADERS_TOO_LARGE', 'the request line and headers are over the 16 KiB limit')
      : new GovError('GOV_ERR_INPUT_INVALID', 'malformed HTTP request');
    const body = JSON.stringify({ ...toProblem(e), requestId });
    opts.logger.info({ requestId, err: { code: err.code, message: err.message } }, 'client error');
    if (socket.writable) {
      const status = ERROR_TABLE[e.code].httpStatus;
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `x-request-id: ${requestId}\r\ntraceparent: ${traceparentOf(undefined)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  };
  const PROBES = new Set(['/healthz', '/readyz', '/metrics']);
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    // One line per request instead of fastify's two (onResponse below).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: ID_MAX_LENGTH },
    genReqId: (raw) => requestIdOf(raw.headers['x-request-id']),
    clientErrorHandler: clientError,
    frameworkErrors: (err, req, reply) => {
      const e = err.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new GovError('GOV_ERR_URI_TOO_LONG', `a path segment is over ${ID_MAX_LENGTH} characters (ids are at most ${ID_MAX_LENGTH})`)
        : err.code === 'FST_ERR_BAD_URL'
          ? new GovError('GOV_ERR_INPUT_INVALID', 'the path is not valid percent-encoded UTF-8', { violations: [{ field: 'path', description: 'not valid percent-encoded UTF-8' }] })
          : err;
      sendProblem(req, reply, e);
    },
    // No type coercion: the published schema is the contract (a JSON 0 is not the string "0").
    // Query strings and path parameters are parsed strictly by parseParams instead.
    ajv: {
      customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false },
      onCreate: (ajv: { addFormat: (name: string, f: (s: string) => boolean) => unknown }) => ajv.addFormat('date-time', isStrictDateTime),
    } as NonNullable<Parameters<typeof Fastify>[0]>['ajv'],
  });
  // Responses are serialised as they are, never reshaped by their schema (fast-json-stringify would
  // drop undocumented fields and coerce types): the published schema documents the answer, and the
  // fuzzer's response-schema check (scripts/fuzz) holds it to that.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addSchema(problemSchema);
  // Before swagger, so the published OpenAPI shows the bounds the edge enforces and every problem
  // answer a route can give (openapi.ts).
  app.addHook('onRoute', (route) => {
    const schema = route.schema as Record<string, unknown> | undefined;
    const documented = schema?.['hide'] === true ? schema : documentRoute(schema ?? {}, String(route.method), route.url, { idempotency: opts.commands !== undefined });
    route.schema = boundRouteSchema(documented, route.url);
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `govmesh ${opts.service}`, version: opts.version, description: `${opts.description}\n\n${TOKEN_HOWTO}` },
      components: { securitySchemes: { department: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (EdDSA), issued by the platform', description: TOKEN_HOWTO } } },
      security: [{ department: [] }],
    },
    // Shared schemas keep their names in components (the problem schema is `Problem`).
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // One SERVER span per request; the route handler runs inside it, so the command's trace context
  // is what the event store writes into the outbox rows.
  // It continues the caller's trace when the request carries a W3C traceparent.
  app.addHook('onRequest', (req, reply, done) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer().startSpan(`${req.method} ${req.routeOptions.url ?? req.url}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.url } }, parent);
    spans.set(req, span);
    void reply.header('x-request-id', req.id).header('traceparent', traceparentOf(span));
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const span = spans.get(req);
    span?.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
    span?.end();
    // One log line and one observation per request, by the matched route (bounded labels: an
    // unmatched URL is "unmatched", never the raw path). Probes and scrapes log at debug.
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    opts.metrics.httpDuration.observe({ method: req.method, route, status: String(status) }, reply.elapsedTime / 1000);
    const line = { requestId: req.id, method: req.method, route, status, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (PROBES.has(route)) opts.logger.debug(line, 'request');
    else opts.logger.info(line, 'request');
    done();
  });

  // Every API route (/v1/...) is authenticated before its body is even parsed: no anonymous
  // writes, and a caller without a token hears 401, not a validation error.
  app.decorateRequest('principal', function (this: FastifyRequest) {
    const p = principals.get(this);
    if (p === undefined) throw new GovError('GOV_ERR_INTERNAL', 'route is not under /v1: no principal');
    return p;
  });
  app.addHook('onRequest', async (req) => {
    // By the matched route, not the raw URL, so an encoded path cannot slip past.
    if (req.routeOptions.url?.startsWith('/v1/') === true) principals.set(req, opts.authenticator.authenticate(req.headers.authorization));
  });

  // After parsing, before the schema: no NUL or lone surrogate anywhere in the path, query or
  // body (named by field), and numeric or boolean parameters parsed strictly.
  app.addHook('preValidation', async (req) => {
    const violations = [...textViolations(req.params, 'params'), ...textViolations(req.query, 'querystring'), ...textViolations(req.body, 'body')];
    if (violations.length > 0) throw inputInvalid(violations);
    const schema = req.routeOptions.schema as { querystring?: unknown; query?: unknown; params?: unknown } | undefined;
    parseParams(req.query, schema?.querystring ?? schema?.query);
    parseParams(req.params, schema?.params);
  });

  // Idempotency-Key and If-Match on every command (POST, PUT, PATCH, DELETE under /v1/).
  if (opts.commands !== undefined) registerIdempotency(app, opts.commands);

  app.setErrorHandler((err, req, reply) => {
    let e: unknown = err;
    const validation = (err as { validation?: { instancePath: string; message?: string; params?: { missingProperty?: string; additionalProperty?: string } }[] }).validation;
    if (validation !== undefined) {
      const violations: FieldViolation[] = validation.map((v) => ({
        field: [(err as { validationContext?: string }).validationContext ?? 'body', ...v.instancePath.split('/').filter(Boolean), ...(v.params?.missingProperty ? [v.params.missingProperty] : []), ...(v.params?.additionalProperty ? [v.params.additionalProperty] : [])].join('.'),
        description: v.message ?? 'invalid',
      }));
      e = new GovError('GOV_ERR_INPUT_INVALID', violations.map((v) => `${v.field}: ${v.description}`).join('; '), { violations });
    } else {
      // Fastify's own 4xx (body parsing and its limits) keep their meaning; anything else is internal.
      const status = (err as { statusCode?: number }).statusCode;
      const fastify = (err as { code?: string }).code?.startsWith('FST_') === true;
      if (status === 413) e = new GovError('GOV_ERR_BODY_TOO_LARGE', `the request body is over the ${BODY_LIMIT}-byte limit`);
      else if (status === 415) e = new GovError('GOV_ERR_MEDIA_TYPE_UNSUPPORTED', `content-type ${JSON.stringify(req.headers['content-type'] ?? '')} is not supported: send application/json`);
      else if (status === 400 || (fastify && status !== undefined && status >= 400 && status < 500)) e = new GovError('GOV_ERR_INPUT_INVALID', (err as Error).message, { violations: [{ field: 'body', description: (err as Error).message }] });
    }
    sendProblem(req, reply, e);
  });
  app.setNotFoundHandler((req, reply) => {
    sendProblem(req, reply, new GovError('GOV_ERR_NOT_FOUND', `no route ${req.method} ${req.url}`));
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const { checks, warnings } = await opts.readiness();
    const ready = Object.values(checks).every(Boolean);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks, warnings });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics()));
  return app;
};
