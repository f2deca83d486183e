import { topics } from '@govmesh/backbone';

/** The request service's topics on one platform, and the catalog topic it builds its view from. */
export const requestTopics = (platform: string) => ({
  events: topics.events(platform, 'request'),
  ingest: topics.ingest(platform, 'request'),
  catalog: topics.events(platform, 'catalog'),
});

export const REQUEST_NAMESPACE = 'govmesh.request.v1';
export const REQUEST_INGEST_NAMESPACE = 'govmesh.request_ingest.v1';
export const CATALOG_NAMESPACE = 'govmesh.catalog.v1';
export const SCHEMA = 'request';
