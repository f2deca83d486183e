import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { GovError, type FieldViolation } from '../errors/errors.ts';
import { toProblem } from '../errors/problem.ts';
import type { Authenticator, Principal } from '../identity/principal.ts';
import type { Logger } from '../telemetry/logging.ts';
import type { BackboneMetrics } from '../telemetry/metrics.ts';
import { context, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import { SpanKind, tracer } from '../telemetry/tracing.ts';

const spans = new WeakMap<FastifyRequest, Span>();
const principals = new WeakMap<FastifyRequest, Principal>();

/**
 * The REST edge every service shares: OpenAPI docs at /docs, health at /healthz (process is up),
 * readiness at /readyz (dependencies reachable), Prometheus metrics at /metrics, and one error
 * handler that turns every error into RFC 9457 problem+json.
 */
export interface HttpServerOptions {
  service: string;
  version: string;
  description: string;
  logger: Logger;
  metrics: BackboneMetrics;
  readiness: () => Promise<Readiness>;
  authenticator: Authenticator;
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
  const app = Fastify({ loggerInstance: opts.logger as FastifyBaseLogger, ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `govmesh ${opts.service}`, version: opts.version, description: opts.description },
      components: { securitySchemes: { department: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (EdDSA), issued by the platform' } } },
      security: [{ department: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // One SERVER span per request; the route handler runs inside it, so the command's trace context
  // is what the event store writes into the outbox rows.
  app.addHook('onRequest', (req, _reply, done) => {
    const span = tracer().startSpan(`${req.method} ${req.routeOptions.url ?? req.url}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.url } });
    spans.set(req, span);
    context.with(trace.setSpan(context.active(), span), done);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const span = spans.get(req);
    span?.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
    span?.end();
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

  app.setErrorHandler((err, req, reply) => {
    let e: unknown = err;
    const validation = (err as { validation?: { instancePath: string; message?: string; params?: { missingProperty?: string; additionalProperty?: string } }[] }).validation;
    if (validation !== undefined) {
      const violations: FieldViolation[] = validation.map((v) => ({
        field: [(err as { validationContext?: string }).validationContext ?? 'body', ...v.instancePath.split('/').filter(Boolean), ...(v.params?.missingProperty ? [v.params.missingProperty] : []), ...(v.params?.additionalProperty ? [v.params.additionalProperty] : [])].join('.'),
        description: v.message ?? 'invalid',
      }));
      e = new GovError('GOV_ERR_INPUT_INVALID', violations.map((v) => `${v.field}: ${v.description}`).join('; '), { violations });
    } else if ((err as { statusCode?: number }).statusCode === 400 || (err as { code?: string }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      e = new GovError('GOV_ERR_INPUT_INVALID', (err as Error).message, { violations: [{ field: 'body', description: (err as Error).message }] });
    }
    const problem = toProblem(e, req.url);
    if (problem.status >= 500) req.log.error({ err }, 'request failed');
    void reply.status(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).type('application/problem+json').send(toProblem(new GovError('GOV_ERR_NOT_FOUND', `no route ${req.method} ${req.url}`), req.url));
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
