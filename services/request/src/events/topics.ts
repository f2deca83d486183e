import { topics } from '@govmesh/backbone';

/**
 * The request service's topics on one platform, the catalog topic it builds its view from, and the
 * exchange topic whose first deliveries activate shares.
 */
export const requestTopics = (platform: string) => ({
  events: topics.events(platform, 'request'),
  ingest: topics.ingest(platform, 'request'),
  catalog: topics.events(platform, 'catalog'),
  exchange: topics.events(platform, 'exchange'),
});

export const SCHEMA = 'request';
