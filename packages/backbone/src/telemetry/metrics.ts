import client from 'prom-client';

/** Prometheus metrics shared by the backbone; each service gets its own registry. */
export interface BackboneMetrics {
  registry: client.Registry;
  outboxPublished: client.Counter<'topic'>;
  outboxLag: client.Gauge;
  outboxOldestAge: client.Gauge;
  outboxFailures: client.Counter<'topic'>;
  consumed: client.Counter<'topic' | 'result'>;
  deadLettered: client.Counter<'topic' | 'code' | 'group'>;
  commandDuration: client.Histogram<'command' | 'result'>;
  httpDuration: client.Histogram<'method' | 'route' | 'status'>;
}

export const createMetrics = (service: string): BackboneMetrics => {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    outboxPublished: new client.Counter({ name: 'govmesh_outbox_published_total', help: 'events relayed from the outbox to Kafka', labelNames: ['topic'], registers: [registry] }),
    outboxLag: new client.Gauge({ name: 'govmesh_outbox_pending', help: 'outbox rows committed and not yet relayed (counted at most once a second)', registers: [registry] }),
    outboxOldestAge: new client.Gauge({ name: 'govmesh_outbox_oldest_pending_age_seconds', help: 'age of the oldest outbox row not yet relayed (0: none)', registers: [registry] }),
    outboxFailures: new client.Counter({ name: 'govmesh_outbox_relay_failures_total', help: 'relay sends that failed (a batch or a row), by topic', labelNames: ['topic'], registers: [registry] }),
    consumed: new client.Counter({ name: 'govmesh_consumer_events_total', help: 'events consumed, by result', labelNames: ['topic', 'result'], registers: [registry] }),
    deadLettered: new client.Counter({ name: 'govmesh_dead_letter_total', help: 'events sent to a dead-letter topic, by consumer group', labelNames: ['topic', 'code', 'group'], registers: [registry] }),
    commandDuration: new client.Histogram({
      name: 'govmesh_command_duration_seconds',
      help: 'command handling time',
      labelNames: ['command', 'result'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    // Its _count is the request rate by route and status.
    httpDuration: new client.Histogram({
      name: 'govmesh_http_request_duration_seconds',
      help: 'REST requests: time to answer, by method, matched route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
  };
};
