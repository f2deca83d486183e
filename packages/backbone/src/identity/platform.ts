import { readFileSync } from 'node:fs';
import { GovError } from '../errors/errors.ts';
import type { CalendarOverrides } from '../time/calendar.ts';

/**
 * The platform file an operator writes: the platform itself, its department directory, the
 * calendar overrides and the key that verifies department tokens. Read once at start.
 */
export const ROLES = ['provider', 'requester', 'competent', 'auditor', 'operator'] as const;
export type Role = (typeof ROLES)[number];
export const PLATFORM_KINDS = ['national', 'regional', 'industry'] as const;
export const ADMIN_LEVELS = ['national', 'provincial', 'city', 'county', 'ministry'] as const;

export interface Department {
  id: string;
  name: string;
  platform: string;
  level: (typeof ADMIN_LEVELS)[number];
  regionCode: string;
  roles: Role[];
}

export interface PlatformFile {
  platform: { id: string; name: string; kind: (typeof PLATFORM_KINDS)[number]; regionCode: string; parent?: string };
  departments: Department[];
  calendar?: CalendarOverrides;
  auth: { tokenPublicKeyPem: string };
}

const problem = (path: string, description: string) => ({ field: path, description });

/** Validates a parsed platform file and names every problem. */
export const parsePlatformFile = (raw: unknown, source = 'platform file'): PlatformFile => {
  const v: { field: string; description: string }[] = [];
  const o = raw as Partial<PlatformFile> | null;
  if (typeof o !== 'object' || o === null) throw new GovError('GOV_ERR_CONFIG_INVALID', `${source} is not an object`);
  const p = o.platform;
  if (p === undefined || typeof p.id !== 'string' || p.id === '') v.push(problem('platform.id', 'required'));
  if (p !== undefined && !PLATFORM_KINDS.includes(p.kind)) v.push(problem('platform.kind', `one of ${PLATFORM_KINDS.join(', ')}`));
  if (!Array.isArray(o.departments) || o.departments.length === 0) v.push(problem('departments', 'at least one department'));
  const seen = new Set<string>();
  (o.departments ?? []).forEach((d, i) => {
    if (typeof d.id !== 'string' || d.id === '') v.push(problem(`departments[${i}].id`, 'required'));
    else if (seen.has(d.id)) v.push(problem(`departments[${i}].id`, `duplicate id ${d.id}`));
    else seen.add(d.id);
    if (typeof d.name !== 'string' || d.name === '') v.push(problem(`departments[${i}].name`, 'required'));
    if (!ADMIN_LEVELS.includes(d.level)) v.push(problem(`departments[${i}].level`, `one of ${ADMIN_LEVELS.join(', ')}`));
    if (!Array.isArray(d.roles) || d.roles.length === 0 || d.roles.some((r) => !ROLES.includes(r))) {
      v.push(problem(`departments[${i}].roles`, `non-empty list of ${ROLES.join(', ')}`));
    }
  });
  if (typeof o.auth?.tokenPublicKeyPem !== 'string' || !o.auth.tokenPublicKeyPem.includes('PUBLIC KEY')) {
    v.push(problem('auth.tokenPublicKeyPem', 'an Ed25519 public key in PEM'));
  }
  if (v.length > 0) {
    throw new GovError('GOV_ERR_CONFIG_INVALID', `${source}: ${v.map((x) => `${x.field}: ${x.description}`).join('; ')}`, { violations: v });
  }
  const file = o as PlatformFile;
  return { ...file, departments: file.departments.map((d) => ({ ...d, platform: d.platform ?? file.platform.id, regionCode: d.regionCode ?? file.platform.regionCode })) };
};

export const loadPlatformFile = (path: string): PlatformFile => parsePlatformFile(JSON.parse(readFileSync(path, 'utf8')), path);

/** The department directory: who exists and which roles each holds. */
export class Directory {
  readonly #byId: Map<string, Department>;
  constructor(departments: readonly Department[]) {
    this.#byId = new Map(departments.map((d) => [d.id, d]));
  }
  get(id: string): Department | undefined {
    return this.#byId.get(id);
  }
  all(): Department[] {
    return [...this.#byId.values()];
  }
  hasRole(id: string, role: Role): boolean {
    return this.#byId.get(id)?.roles.includes(role) ?? false;
  }
}
