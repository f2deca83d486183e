import type { Department } from '@govmesh/backbone';

/**
 * DSP-01 (S1 Art. 28): who coordinates a dispute after the parties' negotiation, from the platform
 * directory's levels and region codes. Same level and region: the competent authority of that level
 * and region. Cross-level or cross-region: the common superior authority, read as the nearest
 * competent department whose level is at or above both parties' and whose region covers both
 * (for a provincial department and a city department of the same province, the provincial
 * authority; for two cities of one province, the provincial one; otherwise the national one).
 * That authority also records the decision of the people's government at its level.
 */

type Level = Department['level'];

/** Ministries are national-level departments. */
const RANK: Record<Level, number> = { national: 0, ministry: 0, provincial: 1, city: 2, county: 3 };

/** The leading digits of a 6-digit administrative region code that an authority of this level covers. */
const covers = (authority: Department, regionCode: string): boolean => {
  switch (RANK[authority.level]) {
    case 0: return true;
    case 1: return regionCode.slice(0, 2) === authority.regionCode.slice(0, 2);
    case 2: return regionCode.slice(0, 4) === authority.regionCode.slice(0, 4);
    default: return regionCode === authority.regionCode;
  }
};

export interface DisputeAuthority {
  /** Cross-level or cross-region: the common superior authority coordinates. */
  crossLevel: boolean;
  /** The competent department that coordinates and records the government decision; null when the directory has none. */
  authority: string | null;
}

export const disputeAuthority = (requester: Department | undefined, provider: Department | undefined, directory: readonly Department[]): DisputeAuthority => {
  if (requester === undefined || provider === undefined) return { crossLevel: true, authority: null };
  const crossLevel = RANK[requester.level] !== RANK[provider.level] || requester.regionCode !== provider.regionCode;
  const top = Math.min(RANK[requester.level], RANK[provider.level]);
  const candidates = directory
    .filter((d) => d.roles.includes('competent') && covers(d, requester.regionCode) && covers(d, provider.regionCode))
    .filter((d) => (crossLevel ? RANK[d.level] <= top : RANK[d.level] === top))
    // The nearest one: the lowest level that covers both; among equals, a stable choice.
    .sort((a, b) => RANK[b.level] - RANK[a.level] || a.id.localeCompare(b.id));
  return { crossLevel, authority: candidates[0]?.id ?? null };
};
