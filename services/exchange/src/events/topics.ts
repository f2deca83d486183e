import { GovError, topics } from '@govmesh/backbone';

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

/**
 * A requesting department's delivery topic (batch push, DLV-02): every share pushed to that
 * department goes there, keyed by share id; in production only that department may read it
 * (the chart's KafkaUsers). Not among exchangeTopics: there is one per department, created when
 * its first push starts. A department id must be usable in a topic name.
 */
export const deliveryTopic = (platform: string, department: string): string => {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(department)) throw new GovError('GOV_ERR_CONFIG_INVALID', `department id ${JSON.stringify(department)} cannot name a Kafka delivery topic: letters, digits, "-" and "_" only`);
  return `${platform}.delivery.${department}`;
};
