import { topics } from '@govmesh/backbone';

/** The catalog service's topics on one platform. */
export const catalogTopics = (platform: string) => ({
  events: topics.events(platform, 'catalog'),
  ingest: topics.ingest(platform, 'catalog'),
  directory: topics.events(platform, 'directory'),
});

export const CATALOG_NAMESPACE = 'govmesh.catalog.v1';
export const DIRECTORY_NAMESPACE = 'govmesh.directory.v1';
export const SCHEMA = 'catalog';
