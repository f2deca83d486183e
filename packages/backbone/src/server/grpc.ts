import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { textViolations } from '../avro/text.ts';
import { asGovError, ERROR_TABLE, inputInvalid } from '../errors/errors.ts';
import { toProblem } from '../errors/problem.ts';
import type { Authenticator, Principal } from '../identity/principal.ts';
import type { Logger } from '../telemetry/logging.ts';
import { context, inSpan, SpanKind } from '../telemetry/tracing.ts';
import { requestIdOf } from './edge.ts';
import { expectRevision, recallAnswer, storeAnswer, withPreconditions, type CommandPreconditions, type IdempotencyStore } from './idempotency.ts';

/**
 * The gRPC edge: wraps unary handlers so that each call is authenticated from the
 * `authorization` metadata, traced, and every error leaves as a gRPC status whose message names
 * the field, with the stable code and fields in trailing metadata (x-error-code, x-error-fields),
 * the REST edge's whole problem (x-problem-bin: UTF-8 JSON with violations and requestId) and
 * x-request-id (the caller's when well-formed, else a new one; it is in the logs too).
 */
export type UnaryImpl<Req, Res> = (req: Req, principal: Principal) => Promise<Res>;

/** What every unary call of a service needs: who calls, where to log, where idempotency keys live. */
export interface GrpcEdgeDeps {
  authenticator: Authenticator;
  logger: Logger;
  idempotency?: IdempotencyStore;
}

type MethodCodec = Pick<grpc.MethodDefinition<unknown, unknown>, 'requestSerialize' | 'responseSerialize' | 'responseDeserialize'>;

const metadataText = (call: grpc.ServerUnaryCall<unknown, unknown>, name: string): string | undefined => {
  const v = call.metadata.get(name)[0];
  return v === undefined ? undefined : v.toString();
};

const GRPC_ANSWER = 'application/grpc+proto';

/**
 * The unary-call wrapper of a service's gRPC definition. Like the REST edge (idempotency.ts), a
 * call with `idempotency-key` metadata runs its command at most once per department and key: a
 * retry with the same request gets the stored answer (and `idempotent-replayed: true` in the
 * initial metadata); another request under the key is refused (INVALID_ARGUMENT,
 * GOV_ERR_IDEMPOTENCY_KEY_REUSED), a retry racing the first ABORTED (GOV_ERR_IDEMPOTENCY_IN_PROGRESS);
 * `if-match: "<revision>"` is honoured too (FAILED_PRECONDITION, GOV_ERR_PRECONDITION_FAILED).
 * Queries claim nothing, so the metadata changes nothing for them.
 */
export const grpcEdge =
  (deps: GrpcEdgeDeps, definition: grpc.ServiceDefinition) =>
  <Req, Res>(name: string, impl: UnaryImpl<Req, Res>): grpc.handleUnaryCall<Req, Res> => {
    const method = Object.values(definition).find((m) => m.path.endsWith(`/${name}`)) as MethodCodec | undefined;
    if (method === undefined) throw new Error(`gRPC method ${name} is not in the service definition`);
    return unary<Req, Res>(name, deps.authenticator, deps.logger, impl, deps.idempotency === undefined ? undefined : { store: deps.idempotency, codec: method });
  };

export const unary =
  <Req, Res>(name: string, authenticator: Authenticator, logger: Logger, impl: UnaryImpl<Req, Res>, idempotency?: { store: IdempotencyStore; codec: MethodCodec }): grpc.handleUnaryCall<Req, Res> =>
  (call, callback) => {
    const given = call.metadata.get('x-request-id')[0];
    const requestId = requestIdOf(typeof given === 'string' ? given : undefined);
    void inSpan(`grpc ${name}`, SpanKind.SERVER, context.active(), { 'rpc.system': 'grpc', 'rpc.method': name }, async () => {
      try {
        const principal = callPrincipal(call, authenticator);
        if (idempotency === undefined) {
          callback(null, await impl(call.request, principal));
          return;
        }
        const { store, codec } = idempotency;
        const pre: CommandPreconditions = {};
        expectRevision(pre, metadataText(call, 'if-match'), 'metadata.if-match');
        const replay = await recallAnswer(store, pre, {
          principal: principal.department.id,
          key: metadataText(call, 'idempotency-key'),
          fingerprint: () => createHash('sha256').update(`${name}\n`).update(codec.requestSerialize(call.request)).digest('hex'),
          field: 'metadata.idempotency-key',
        });
        if (replay !== undefined) {
          const md = new grpc.Metadata();
          md.set('idempotent-replayed', 'true');
          call.sendMetadata(md);
          callback(null, codec.responseDeserialize(Buffer.from(replay.body, 'base64')) as Res);
          return;
        }
        const res = await withPreconditions(pre, () => impl(call.request, principal));
        await storeAnswer(store, pre, { status: 0, body: Buffer.from(codec.responseSerialize(res)).toString('base64'), contentType: GRPC_ANSWER });
        callback(null, res);
      } catch (err) {
        callback(problemStatus(err, name, requestId, logger));
      }
    });
  };

/** Who calls (the `authorization` metadata), once the request passed the REST edge's text rule (no NUL or lone surrogate, issue 13). */
const callPrincipal = (call: { metadata: grpc.Metadata; request: unknown }, authenticator: Authenticator): Principal => {
  const auth = call.metadata.get('authorization')[0];
  const principal = authenticator.authenticate(auth === undefined ? undefined : auth.toString());
  const text = textViolations(call.request, '').map((v) => ({ ...v, field: v.field.slice(1) }));
  if (text.length > 0) throw inputInvalid(text);
  return principal;
};

/**
 * An error as a gRPC status whose message names the field, with the stable code, rule and fields
 * in trailing metadata, the REST edge's whole problem (x-problem-bin: UTF-8 JSON with violations
 * and requestId), x-request-id, and retry-after when the error says when to retry.
 */
const problemStatus = (err: unknown, name: string, requestId: string, logger: Logger): Partial<grpc.StatusObject> => {
  const e = asGovError(err);
  if (e.code === 'GOV_ERR_INTERNAL') logger.error({ err, method: name, requestId }, 'grpc call failed');
  const md = new grpc.Metadata();
  md.set('x-error-code', e.code);
  if (e.rule !== undefined) md.set('x-error-rule', e.rule);
  if (e.violations.length > 0) md.set('x-error-fields', e.violations.map((v) => v.field).join(','));
  md.set('x-request-id', requestId);
  if (e.retryAfterSeconds !== undefined) md.set('retry-after', String(e.retryAfterSeconds));
  md.set('x-problem-bin', Buffer.from(JSON.stringify({ ...toProblem(e, name), requestId }), 'utf8'));
  return { code: ERROR_TABLE[e.code].grpcStatus, details: e.code === 'GOV_ERR_INTERNAL' ? 'internal error' : `${e.code}: ${e.message}`, metadata: md };
};

/**
 * A server-streaming call with the unary edge's authentication, text rule and error mapping.
 * `impl` writes messages through `send`, which waits while the client is slow (backpressure) and
 * throws once the client has cancelled, so a stream stops producing for nobody.
 */
export const serverStream =
  <Req, Res>(name: string, deps: GrpcEdgeDeps, impl: (req: Req, principal: Principal, send: (msg: Res) => Promise<void>) => Promise<void>): grpc.handleServerStreamingCall<Req, Res> =>
  (call) => {
    const given = call.metadata.get('x-request-id')[0];
    const requestId = requestIdOf(typeof given === 'string' ? given : undefined);
    const send = async (msg: Res): Promise<void> => {
      if (call.cancelled) throw new Error('the client cancelled the stream');
      if (!call.write(msg)) await new Promise<void>((resolve) => { call.once('drain', resolve); call.once('cancelled', resolve); });
    };
    void inSpan(`grpc ${name}`, SpanKind.SERVER, context.active(), { 'rpc.system': 'grpc', 'rpc.method': name }, async () => {
      try {
        await impl(call.request, callPrincipal(call, deps.authenticator), send);
        if (!call.cancelled) call.end();
      } catch (err) {
        if (call.cancelled) return;
        call.emit('error', problemStatus(err, name, requestId, deps.logger));
      }
    });
  };

/**
 * What gRPC clients and Kubernetes expect of a server (issue 13): the standard health service
 * `grpc.health.v1.Health` (Check and Watch, for the server "" and for the service by name),
 * SERVING exactly when `ready` says so (the runtime passes /readyz's checks), polled every
 * `pollMs`; and server reflection (v1 and v1alpha) from the service's .proto files under
 * `protoRoot`, so grpcurl and Postman need no .proto files. `stop` reports NOT_SERVING first.
 */
export const serveStandardServices = (
  server: grpc.Server,
  opts: { definition: grpc.ServiceDefinition; protoRoot: string; ready: () => Promise<boolean>; pollMs?: number },
): { refresh(): Promise<void>; stop(): void } => {
  const path = Object.values(opts.definition)[0]?.path ?? '';
  const service = path.split('/')[1] ?? '';
  const pkg = service.slice(0, service.lastIndexOf('.'));
  const names = ['', service];
  const health = new HealthImplementation(Object.fromEntries(names.map((n) => [n, 'NOT_SERVING' as ServingStatus])));
  // Watch streams are tracked so that a stop can end them after NOT_SERVING: an open stream would
  // otherwise hold the server's graceful shutdown for its whole grace period.
  const watches = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  health.addToServer({
    addService: (definition, impl) =>
      server.addService(definition, {
        ...impl,
        watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
          watches.add(call);
          call.on('cancelled', () => watches.delete(call));
          (impl['watch'] as grpc.handleServerStreamingCall<unknown, unknown>)(call);
        },
      }),
  });
  const require = createRequire(import.meta.url);
  const healthProto = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');
  const dir = join(opts.protoRoot, ...pkg.split('.'));
  const files = readdirSync(dir).filter((f) => f.endsWith('.proto')).map((f) => join(dir, f));
  new ReflectionService(protoLoader.loadSync([...files, healthProto], { includeDirs: [opts.protoRoot] })).addToServer(server);
  let current: ServingStatus = 'NOT_SERVING';
  let stopped = false;
  const set = (status: ServingStatus) => {
    if (status === current) return;
    current = status;
    for (const n of names) health.setStatus(n, status);
  };
  const refresh = async () => {
    const ok = await opts.ready().catch(() => false);
    if (!stopped) set(ok ? 'SERVING' : 'NOT_SERVING');
  };
  const timer = setInterval(() => void refresh(), opts.pollMs ?? 2000);
  timer.unref();
  void refresh();
  return {
    refresh,
    stop: () => {
      stopped = true;
      clearInterval(timer);
      set('NOT_SERVING');
      for (const call of watches) call.end();
      watches.clear();
    },
  };
};

export const startGrpcServer = async (host: string, port: number, register: (server: grpc.Server) => void): Promise<{ server: grpc.Server; port: number }> => {
  const server = new grpc.Server();
  register(server);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port: bound };
};

export const stopGrpcServer = (server: grpc.Server, graceMs: number): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * proto enum <-> domain string: ts-proto's toJSON gives "GRADE_CORE"; the domain says "CORE".
 * UNSPECIFIED (the proto3 zero) means the caller left the field out: a named input error.
 */
export const fromProtoEnum = <D extends string>(field: string, json: string, prefix: string, allowed: readonly D[]): D => {
  const v = json.startsWith(prefix) ? json.slice(prefix.length) : json;
  if (!(allowed as readonly string[]).includes(v)) throw inputInvalid([{ field, description: `required, one of ${allowed.join(', ')}` }]);
  return v as D;
};

export const toProtoEnum = <P>(value: string, prefix: string, fromJSON: (o: unknown) => P): P => fromJSON(`${prefix}${value}`);
