import { topics } from '@govmesh/backbone';

/**
 * The exchange service's topics on one platform: its own events, and the catalog and request
 * topics it learns entries and shares from (never by calling those services).
 */
export const exchangeTopics = (platform: string) => ({
  events: topics.events(platform, 'exchange'),
  catalog: topics.events(platform, 'catalog'),
  request: topics.events(platform, 'request'),
});

export const SCHEMA = 'exchange';
