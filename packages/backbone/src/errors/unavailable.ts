/**
 * Errors that say a dependency (PostgreSQL, Kafka) cannot be reached right now, as opposed to a
 * bug or a refused input: the caller should retry later (HTTP 503 with Retry-After, gRPC
 * UNAVAILABLE), a consumer keeps retrying the record instead of dead-lettering it, and the
 * service stays up and reconnects (issue 13, defect 13).
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATE: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, and class 08 (connection exceptions). */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const KAFKAJS = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSBrokerNotFound', 'KafkaJSLockTimeout']);
const MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

export const isUnavailable = (err: unknown): boolean => {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && typeof e === 'object' && e !== null; depth++) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (typeof name === 'string' && KAFKAJS.has(name)) return true;
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
    e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return false;
};

/** Seconds a client is told to wait (Retry-After) when a dependency is unavailable. */
export const RETRY_AFTER_SECONDS = 5;
