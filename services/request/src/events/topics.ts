import { topics } from '@govmesh/backbone';

/** The request service's topics on one platform, and the catalog topic it builds its view from. */
export const requestTopics = (platform: string) => ({
  events: topics.events(platform, 'request'),
  ingest: topics.ingest(platform, 'request'),
  catalog: topics.events(platform, 'catalog'),
});

export const SCHEMA = 'request';
