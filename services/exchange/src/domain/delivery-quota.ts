import { GovError, chinaDate } from '@govmesh/backbone';

/**
 * Delivery limits of a share (DLV-07): calls per minute and records per China day, from the
 * platform's defaults (an approval may carry its own once approvals have the fields). Pure: the
 * caller counts the share's recent calls and today's records, in one transaction per share.
 */
export interface DeliveryLimits {
  callsPerMinute: number;
  recordsPerDay: number;
}

export interface RecentUse {
  /** Start times of the share's calls in the last minute, oldest first. */
  callsInLastMinute: readonly Date[];
  /** Records delivered to the share since the start of today (China). */
  recordsToday: number;
}

/** Seconds to the next China midnight (UTC+8, no DST), when the daily volume starts again. */
const secondsToChinaMidnight = (now: Date): number => {
  const today = chinaDate(now);
  const next = new Date(`${today}T00:00:00+08:00`).getTime() + 86_400_000;
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
};

/**
 * Admits a call, answering how many records it may still receive today; refuses it with 429
 * (GOV_ERR_RATE_LIMITED, rule DLV-07) and the seconds to wait when either limit is reached.
 */
export const admitCall = (shareId: string, use: RecentUse, limits: DeliveryLimits, now: Date): { recordsLeft: number } => {
  if (use.callsInLastMinute.length >= limits.callsPerMinute) {
    const oldest = use.callsInLastMinute[use.callsInLastMinute.length - limits.callsPerMinute]!;
    const wait = Math.max(1, Math.ceil((oldest.getTime() + 60_000 - now.getTime()) / 1000));
    throw new GovError('GOV_ERR_RATE_LIMITED', `share ${shareId} made ${use.callsInLastMinute.length} calls in the last minute, the limit is ${limits.callsPerMinute}: retry in ${wait} s`, {
      rule: 'DLV-07',
      retryAfterSeconds: wait,
      violations: [{ field: 'share.callsPerMinute', description: `at most ${limits.callsPerMinute}` }],
    });
  }
  const recordsLeft = limits.recordsPerDay - use.recordsToday;
  if (recordsLeft <= 0) {
    const wait = secondsToChinaMidnight(now);
    throw new GovError('GOV_ERR_RATE_LIMITED', `share ${shareId} received ${use.recordsToday} records today, the limit is ${limits.recordsPerDay} a day: retry after midnight (China), in ${wait} s`, {
      rule: 'DLV-07',
      retryAfterSeconds: wait,
      violations: [{ field: 'share.recordsPerDay', description: `at most ${limits.recordsPerDay}` }],
    });
  }
  return { recordsLeft };
};
