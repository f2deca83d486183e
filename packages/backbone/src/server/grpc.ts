import grpc from '@grpc/grpc-js';
import { textViolations } from '../avro/text.ts';
import { asGovError, ERROR_TABLE, inputInvalid } from '../errors/errors.ts';
import type { Authenticator, Principal } from '../identity/principal.ts';
import type { Logger } from '../telemetry/logging.ts';
import { context, inSpan, SpanKind } from '../telemetry/tracing.ts';

/**
 * The gRPC edge: wraps unary handlers so that each call is authenticated from the
 * `authorization` metadata, traced, and every error leaves as a gRPC status whose message names
 * the field, with the stable code and fields in trailing metadata (x-error-code, x-error-fields).
 */
export type UnaryImpl<Req, Res> = (req: Req, principal: Principal) => Promise<Res>;

export const unary =
  <Req, Res>(name: string, authenticator: Authenticator, logger: Logger, impl: UnaryImpl<Req, Res>): grpc.handleUnaryCall<Req, Res> =>
  (call, callback) => {
    void inSpan(`grpc ${name}`, SpanKind.SERVER, context.active(), { 'rpc.system': 'grpc', 'rpc.method': name }, async () => {
      try {
        const auth = call.metadata.get('authorization')[0];
        const principal = authenticator.authenticate(auth === undefined ? undefined : auth.toString());
        // The REST edge's text rule: no NUL or lone surrogate in any field (issue 13).
        const text = textViolations(call.request, '').map((v) => ({ ...v, field: v.field.slice(1) }));
        if (text.length > 0) throw inputInvalid(text);
        callback(null, await impl(call.request, principal));
      } catch (err) {
        const e = asGovError(err);
        if (e.code === 'GOV_ERR_INTERNAL') logger.error({ err, method: name }, 'grpc call failed');
        const md = new grpc.Metadata();
        md.set('x-error-code', e.code);
        if (e.rule !== undefined) md.set('x-error-rule', e.rule);
        if (e.violations.length > 0) md.set('x-error-fields', e.violations.map((v) => v.field).join(','));
        callback({ code: ERROR_TABLE[e.code].grpcStatus, details: e.code === 'GOV_ERR_INTERNAL' ? 'internal error' : `${e.code}: ${e.message}`, metadata: md });
      }
    });
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
