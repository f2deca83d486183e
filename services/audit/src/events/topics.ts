import { topics } from '@govmesh/backbone';

/**
 * The audit service's topics on one platform. It reads every `<platform>.<stream>.events` topic
 * (the pattern, so a new service's topic needs no code change) and writes two of its own:
 * signed checkpoints, and the events it raises itself (witnessed child checkpoints). The
 * checkpoint topic does not match the pattern, or every checkpoint would grow the tree it signs.
 */
export const auditTopics = (platform: string) => ({
  checkpoints: `${platform}.audit.checkpoints`,
  events: topics.events(platform, 'audit'),
});

/** Every event topic of the platform: `<platform>.<stream>.events`, nothing else (no .dlq, no .ingest). */
export const eventTopicPattern = topics.ledgered;
