import { p, type EntityName, type FilterQuery } from '@mikro-orm/postgresql';
import type { Decider, DomainEvent } from '../domain/decider.ts';
import type { ConsumedEvent } from '../kafka/consumer.ts';
import type { Tx } from '../store/database.ts';
import type { Projection } from './projection.ts';

/** The columns every folded view has besides its own. */
export interface FoldedRow {
  revision: number;
  state: Record<string, unknown>;
  updatedAt: Date;
}

/** The FoldedRow columns of a view's entity (`properties: { ..., ...foldedRowProperties }`). */
export const foldedRowProperties = {
  revision: p.integer(),
  /** The folded aggregate state, the same fold the write side uses. */
  state: p.json<Record<string, unknown>>(),
  updatedAt: p.datetime(),
};

/**
 * A read model that keeps, per aggregate (the record's subject), the write side's own fold of its
 * events (the `state` column) plus the columns the queries need; `revision` counts the events
 * applied, so a test can see that none was applied twice.
 */
export interface FoldedViewSpec<E extends DomainEvent, S, V extends FoldedRow, K extends keyof V & string> extends Omit<Projection<E>, 'apply'> {
  fold: Pick<Decider<never, E, S>, 'initialState' | 'evolve'>;
  view: EntityName<V>;
  /** The column that holds the aggregate id. */
  key: K;
  /** The view's own columns for a state; null while the aggregate has nothing to show. */
  columns: (state: S) => Omit<V, keyof FoldedRow | K> | null;
  /** Further writes for an event once its row is written (e.g. a table of published versions). */
  also?: (tx: Tx, event: E, record: ConsumedEvent) => Promise<void>;
}

export const foldedView = <E extends DomainEvent, S, V extends FoldedRow, K extends keyof V & string>(spec: FoldedViewSpec<E, S, V, K>): Projection<E> => ({
  inbox: spec.inbox,
  namespace: spec.namespace,
  types: spec.types,
  apply: async (tx, event, record) => {
    const key = { [spec.key]: record.envelope.subject };
    const row = await tx.em.findOne(spec.view, key as FilterQuery<V>);
    const state = spec.fold.evolve(row === null ? spec.fold.initialState() : (row.state as unknown as S), event);
    const columns = spec.columns(state);
    if (columns === null) return;
    const values: FoldedRow = { ...columns, ...key, revision: (row?.revision ?? 0) + 1, state: JSON.parse(JSON.stringify(state)) as Record<string, unknown>, updatedAt: new Date(record.envelope.time) };
    // MikroORM cannot see that columns + key + FoldedRow make a whole V.
    if (row === null) tx.em.create(spec.view, values as never);
    else tx.em.assign(row, values as never);
    await spec.also?.(tx, event, record);
  },
});
