import { topics } from '@govmesh/backbone';

/** The catalog service's topics on one platform. */
export const catalogTopics = (platform: string) => ({
  events: topics.events(platform, 'catalog'),
  ingest: topics.ingest(platform, 'catalog'),
  directory: topics.events(platform, 'directory'),
});

export const SCHEMA = 'catalog';
