import type { Grade, ShareMethod } from '@govmesh/contracts/avro';

/**
 * A catalog entry as the exchange knows it, from the catalog events only: who provides it and,
 * for its current published version, the data items a dataset's records are made of.
 */
export interface ItemSpec {
  name: string;
  /** The type the catalog declares, as written there (e.g. string, integer, date). */
  type: string;
  grade: Grade;
  /** The item's own masking rule, when the catalog carries one (issue 8 §4); else its grade's default. */
  masking?: string;
}

export interface EntrySnapshot {
  entryId: string;
  provider: string;
  /** PUBLISHED once a version was published; UNPUBLISHED before. */
  status: 'PUBLISHED' | 'UNPUBLISHED';
  /** The current published version (0: none). */
  version: number;
  items: ItemSpec[];
  shareMethods: ShareMethod[];
  notShared: boolean;
}
