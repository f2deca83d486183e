import { MikroORM, type EntityManager, type EntitySchema } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';

/**
 * The service's one connection to PostgreSQL, through MikroORM. Write-side tables (events,
 * outbox, inbox) are driven with raw SQL inside MikroORM transactions, because their guarantees
 * live in the SQL (unique versions, xid ordering); read models may use entities on the same
 * EntityManager, so a projection change and its inbox row commit together.
 */
export interface Tx {
  /** Runs SQL with $1..$n placeholders inside the transaction. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  em: EntityManager;
}

export interface Database {
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  orm: MikroORM;
  close(): Promise<void>;
}

const toTx = (em: EntityManager): Tx => ({
  em,
  // Through the EntityManager's Kysely handle: bound to the open transaction, and the parameters
  // travel to pg as real bind parameters (em.execute would inline them into the SQL text).
  query: async <R>(sql: string, params: unknown[] = []) => {
    const res = await em.getKysely().executeQuery(CompiledQuery.raw(sql, params));
    return res.rows as R[];
  },
});

export const openDatabase = async (opts: { url: string; entities?: EntitySchema[]; poolSize?: number; debug?: boolean }): Promise<Database> => {
  const orm = await MikroORM.init({
    clientUrl: opts.url,
    entities: opts.entities ?? [],
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: opts.poolSize ?? 10 },
    debug: opts.debug ?? false,
    allowGlobalContext: false,
  });
  return {
    orm,
    transaction: (fn) => orm.em.fork().transactional((em) => fn(toTx(em))),
    query: (sql, params) => toTx(orm.em.fork()).query(sql, params),
    close: () => orm.close(true),
  };
};

export const isUniqueViolation = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && ((err as { code?: string }).code === '23505' || /duplicate key|UniqueConstraintViolation/i.test(String((err as Error).message) + String((err as Error).name)));
