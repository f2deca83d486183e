import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { setupTracing, uuidv7 } from '@govmesh/backbone';
import { waitFor } from '@govmesh/backbone/testing';
import type { CatalogService } from './app.ts';
import { conditionalContent } from './domain/fixtures.ts';
import { restAs, startTestCatalog } from './testing.ts';
import type { TestPlatform } from '@govmesh/backbone/testing';

// One trace follows an event from the API call through the outbox and Kafka into the consumer.
const exporter = new InMemorySpanExporter();
const tracing = setupTracing({ service: 'catalog-trace-test', exporter });
let svc: CatalogService;
let platform: TestPlatform;

before(async () => {
  ({ service: svc, platform } = await startTestCatalog());
});
after(async () => {
  await svc?.stop();
  await tracing.shutdown();
});

test('the HTTP span, the outbox send span and the consumer span share one trace, parent to child', async () => {
  const id = `ce-tr-${uuidv7()}`;
  const r = await restAs(svc.httpUrl, platform.token('dept-public-security')).post('/v1/entries', { entryId: id, content: conditionalContent() });
  assert.equal(r.status, 201);
  const spans = await waitFor('consumer span', async () => {
    const all = exporter.getFinishedSpans();
    const http = all.find((s) => s.name === 'POST /v1/entries' && s.attributes['url.path'] === '/v1/entries');
    if (http === undefined) return undefined;
    const traceId = http.spanContext().traceId;
    const inTrace = all.filter((s) => s.spanContext().traceId === traceId);
    const consumer = inTrace.find((s) => s.name.startsWith('process ') && s.name.endsWith('.catalog.events'));
    // The relay's send is a child of the HTTP span when its batch holds this command's events only,
    // and links the command's trace when the batch also carried others (e.g. the directory's at
    // start). It ends when Kafka acknowledges, which may come after the consumer's span ended.
    const httpId = http.spanContext().spanId;
    const send = all.find((s) => s.name.startsWith('send ') && (s.parentSpanContext?.spanId === httpId || s.links.some((l) => l.context.spanId === httpId)));
    return consumer === undefined || send === undefined ? undefined : { http, inTrace, consumer, send };
  });
  assert.equal(spans.send.kind, 3 /* PRODUCER */);
  assert.equal(spans.consumer.parentSpanContext?.spanId, spans.http.spanContext().spanId, 'the consumer continues the trace from the event traceparent');
});
