import { pino, type Logger } from 'pino';
import { context, trace } from '@opentelemetry/api';

export type { Logger };

/** JSON logs; every line written inside a span carries its trace_id and span_id. */
export const createLogger = (service: string, level: string): Logger =>
  pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const span = trace.getSpan(context.active());
      if (span === undefined) return {};
      const sc = span.spanContext();
      return { trace_id: sc.traceId, span_id: sc.spanId };
    },
  });
