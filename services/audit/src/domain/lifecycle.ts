/**
 * A share's lifecycle, rebuilt from ledgered events alone.
 *
 * The events of one share carry its id as correlation id (ce_correlationid), whichever service
 * raised them. A share request names the catalog entry it asks for (`entryId`, at the top of the
 * event or in its `content`), so the entry's own events are linked in through their correlation
 * id too. The timeline is in ledger order, which follows the platform's record timestamps; the
 * final state keeps, per service, the last status an event set. Pure.
 */
import { initialStreamStatus, nextStatus, type StreamStatus } from './status.ts';

export interface LifecycleInput {
  index: number;
  topic: string;
  partition: number;
  offset: string;
  ceId: string;
  /** Full CloudEvents type, e.g. govmesh.catalog.v1.CatalogEntryPublished. */
  type: string;
  source: string;
  subject: string;
  time: string;
  correlationId: string;
  sequence: string | undefined;
  /** The decoded Avro body, or null when the record cannot be decoded. */
  data: Record<string, unknown> | null;
  problem: string | undefined;
}

export type KeyFieldValue = string | number | boolean | null;

export interface TimelineItem {
  index: number;
  time: string;
  /** Short type name, e.g. CatalogEntryPublished. */
  type: string;
  fullType: string;
  source: string;
  subject: string;
  service: string;
  ceId: string;
  sequence: string | undefined;
  topic: string;
  partition: number;
  offset: string;
  /** The event's scalar fields (long text shortened), for reading the timeline. */
  keyFields: Record<string, KeyFieldValue>;
  /** The status this event set, if it sets one. */
  status: string | undefined;
  problem: string | undefined;
}

export interface ServiceState {
  service: string;
  status: string | undefined;
  lastType: string;
  lastTime: string;
  lastIndex: number;
  subjects: string[];
  flags: string[];
}

export interface Lifecycle {
  id: string;
  /** The service whose aggregate the id names (the one that created it, unless the caller chose). */
  root: string | null;
  /**
   * Aggregates of other services that carry the same id and are not linked to this one by
   * correlation (ids chosen by clients before ids were typed): left out, never mixed in.
   */
  excluded: { service: string; events: number }[];
  /** Other correlation ids pulled in (the catalog entry a share request names). */
  linked: string[];
  events: number;
  timeline: TimelineItem[];
  finalState: ServiceState[];
}

const shortType = (type: string): string => type.slice(type.lastIndexOf('.') + 1);

/** The service that raised an event: from `<platform>.<service>.events`, else the CloudEvents source. */
export const serviceOf = (topic: string, source: string): string => {
  const m = /^.+\.([a-z_-]+)\.events$/.exec(topic);
  if (m !== null) return m[1]!;
  const s = /\/services\/([^/]+)/.exec(source);
  return s?.[1] ?? topic;
};

const MAX_TEXT = 160;

const keyFields = (data: Record<string, unknown> | null): Record<string, KeyFieldValue> => {
  const out: Record<string, KeyFieldValue> = {};
  for (const [k, v] of Object.entries(data ?? {})) {
    if (typeof v === 'string') out[k] = v.length > MAX_TEXT ? `${v.slice(0, MAX_TEXT - 1)}…` : v;
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null) out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string') && v.length <= 10) out[k] = (v as string[]).join(', ');
  }
  return out;
};

/**
 * The events of the aggregate `id` names, apart from another service's aggregate that carries the
 * same id: the root is `service` if given, else the service that raised the first event whose
 * subject is the id. Events of another service with that same subject belong to a different
 * aggregate and are left out (and counted); events of other subjects correlated to the id stay.
 */
export const separateAggregates = (id: string, events: readonly LifecycleInput[], service?: string): { kept: LifecycleInput[]; root: string | null; excluded: { service: string; events: number }[] } => {
  const own = [...events].filter((e) => e.subject === id).sort((a, b) => a.index - b.index);
  const root = service ?? (own[0] === undefined ? null : serviceOf(own[0].topic, own[0].source));
  const excluded = new Map<string, number>();
  const kept = events.filter((e) => {
    if (root === null || e.subject !== id) return true;
    const s = serviceOf(e.topic, e.source);
    if (s === root) return true;
    excluded.set(s, (excluded.get(s) ?? 0) + 1);
    return false;
  });
  return { kept, root, excluded: [...excluded].map(([s, n]) => ({ service: s, events: n })).sort((a, b) => a.service.localeCompare(b.service)) };
};

/** Correlation ids an event of the aggregate points at besides its own: the catalog entry it names. */
export const linkedIds = (all: readonly LifecycleInput[], id: string, service?: string): string[] => {
  const events = separateAggregates(id, all, service).kept;
  const found = new Set<string>();
  const look = (o: unknown) => {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return;
    const entryId = (o as Record<string, unknown>)['entryId'];
    if (typeof entryId === 'string' && entryId !== '' && entryId !== id) found.add(entryId);
  };
  for (const e of events) {
    look(e.data);
    look(e.data?.['content']);
  }
  return [...found].sort();
};

/** Folds the events of one share (any order in, ledger order out) into its timeline and final state. */
export const foldLifecycle = (id: string, linked: readonly string[], all: readonly LifecycleInput[], service?: string): Lifecycle => {
  const { kept: events, root, excluded } = separateAggregates(id, all, service);
  const seen = new Set<number>();
  const ordered = [...events].filter((e) => (seen.has(e.index) ? false : (seen.add(e.index), true))).sort((a, b) => a.index - b.index);
  const states = new Map<string, ServiceState>();
  const streams = new Map<string, StreamStatus>();
  const timeline = ordered.map((e): TimelineItem => {
    const type = shortType(e.type);
    const service = serviceOf(e.topic, e.source);
    const before = streams.get(service) ?? initialStreamStatus();
    const after = nextStatus(before, type, e.data);
    streams.set(service, after);
    const status = after.status !== before.status ? after.status : undefined;
    const s = states.get(service) ?? { service, status: undefined, lastType: type, lastTime: e.time, lastIndex: e.index, subjects: [], flags: [] };
    s.status = after.status;
    if (after.flag !== undefined && !s.flags.includes(after.flag)) s.flags.push(after.flag);
    if (e.subject !== '' && !s.subjects.includes(e.subject)) s.subjects.push(e.subject);
    Object.assign(s, { lastType: type, lastTime: e.time, lastIndex: e.index });
    states.set(service, s);
    return {
      index: e.index,
      time: e.time,
      type,
      fullType: e.type,
      source: e.source,
      subject: e.subject,
      service,
      ceId: e.ceId,
      sequence: e.sequence,
      topic: e.topic,
      partition: e.partition,
      offset: e.offset,
      keyFields: keyFields(e.data),
      status,
      problem: e.problem,
    };
  });
  return {
    id,
    root,
    excluded,
    linked: [...linked],
    events: timeline.length,
    timeline,
    finalState: [...states.values()].sort((a, b) => a.service.localeCompare(b.service)),
  };
};

/** The lifecycle as plain text lines, for the CLIs: deterministic, one event per line. */
export const lifecycleLines = (l: Lifecycle, proven?: (index: number) => boolean): string[] => {
  const lines = [`lifecycle ${l.id}${l.root === null ? '' : ` (${l.root})`}: ${l.events} events${l.linked.length > 0 ? `, linked ${l.linked.join(', ')}` : ''}`];
  for (const x of l.excluded) lines.push(`  NOT MIXED IN: ${x.events} events of a ${x.service} aggregate with the same id (ask for it with its service)`);
  for (const t of l.timeline) {
    const fields = Object.entries(t.keyFields).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
    const mark = proven === undefined ? '' : proven(t.index) ? ' [included]' : ' [NOT PROVEN]';
    lines.push(`  #${t.index} ${t.time} ${t.service} ${t.type} v${t.sequence ?? '?'} subject=${t.subject}${t.status === undefined ? '' : ` -> ${t.status}`}${mark}${fields === '' ? '' : ` ${fields}`}${t.problem === undefined ? '' : ` PROBLEM: ${t.problem}`}`);
  }
  lines.push('  final state:');
  for (const s of l.finalState) {
    lines.push(`    ${s.service}: ${s.status ?? '(no status)'} after ${s.lastType} at ${s.lastTime} (entry ${s.lastIndex})${s.flags.length > 0 ? ` flags ${s.flags.join(',')}` : ''}`);
  }
  return lines;
};
