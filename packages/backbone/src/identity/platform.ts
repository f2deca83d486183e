import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { GovError } from '../errors/errors.ts';
import { isRealDate, loadYearSchedule, type YearSchedule } from '../time/year-schedule.ts';

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

/**
 * The platform's calendar: single days overridden (a local holiday) and the official schedules the
 * operator loaded, each a year file (`npm run calendar -- check <file>`) named by its path relative
 * to the platform file (docs/operations.md#calendar).
 */
export interface PlatformCalendar {
  holidays?: string[];
  workdays?: string[];
  schedules?: string[];
}

export interface PlatformFile {
  platform: { id: string; name: string; kind: (typeof PLATFORM_KINDS)[number]; regionCode: string; parent?: string };
  departments: Department[];
  calendar?: PlatformCalendar;
  /**
   * The keys that verify department tokens: `tokenPublicKeyPem`, and during a key rotation the
   * other key(s) still accepted (docs/operations.md#token-keys).
   */
  auth: { tokenPublicKeyPem: string; additionalTokenPublicKeyPems?: string[] };
}

/** Every public key a token may be signed with (the current one first). */
export const tokenKeys = (file: PlatformFile): string[] => [file.auth.tokenPublicKeyPem, ...(file.auth.additionalTokenPublicKeyPems ?? [])];

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
  const c = o.calendar as Record<string, unknown> | undefined;
  if (c !== undefined) {
    if (typeof c !== 'object' || c === null || Array.isArray(c)) v.push(problem('calendar', 'an object with holidays, workdays and schedules'));
    else {
      for (const k of Object.keys(c)) if (!['holidays', 'workdays', 'schedules'].includes(k)) v.push(problem(`calendar.${k}`, 'unknown key (expected holidays, workdays, schedules)'));
      for (const k of ['holidays', 'workdays'] as const) {
        const list = c[k];
        if (list !== undefined && (!Array.isArray(list) || list.some((d) => !isRealDate(d)))) v.push(problem(`calendar.${k}`, 'a list of real dates YYYY-MM-DD'));
      }
      const files = c.schedules;
      if (files !== undefined && (!Array.isArray(files) || files.some((f) => typeof f !== 'string' || f === ''))) v.push(problem('calendar.schedules', 'a list of year schedule file paths, relative to the platform file'));
    }
  }
  if (typeof o.auth?.tokenPublicKeyPem !== 'string' || !o.auth.tokenPublicKeyPem.includes('PUBLIC KEY')) {
    v.push(problem('auth.tokenPublicKeyPem', 'an Ed25519 public key in PEM'));
  }
  const more = o.auth?.additionalTokenPublicKeyPems as unknown;
  if (more !== undefined && (!Array.isArray(more) || more.some((k) => typeof k !== 'string' || !k.includes('PUBLIC KEY')))) {
    v.push(problem('auth.additionalTokenPublicKeyPems', 'a list of Ed25519 public keys in PEM, accepted besides tokenPublicKeyPem during a key rotation'));
  }
  if (v.length > 0) {
    throw new GovError('GOV_ERR_CONFIG_INVALID', `${source}: ${v.map((x) => `${x.field}: ${x.description}`).join('; ')}`, { violations: v });
  }
  const file = o as PlatformFile;
  return { ...file, departments: file.departments.map((d) => ({ ...d, platform: d.platform ?? file.platform.id, regionCode: d.regionCode ?? file.platform.regionCode })) };
};

export const loadPlatformFile = (path: string): PlatformFile => parsePlatformFile(JSON.parse(readFileSync(path, 'utf8')), path);

/**
 * The year schedules a platform file lists, read and checked (a malformed one stops the start,
 * naming the file and the problem); two files for one year are refused.
 */
export const loadPlatformSchedules = (file: PlatformFile, path: string): YearSchedule[] => {
  const schedules = (file.calendar?.schedules ?? []).map((f) => loadYearSchedule(resolve(dirname(path), f)));
  const years = schedules.map((s) => s.year);
  const twice = years.filter((y, i) => years.indexOf(y) !== i);
  if (twice.length > 0) throw new GovError('GOV_ERR_CONFIG_INVALID', `${path}: calendar.schedules: more than one schedule for ${twice.join(', ')}`, { violations: [{ field: 'calendar.schedules', description: `one schedule per year (${twice.join(', ')} twice)` }] });
  return schedules;
};

/**
 * The department directory: who exists and which roles each holds. Loaded from the platform file
 * at start, then kept current from the directory's events (ServiceRuntime follows them), so a
 * department removed or whose roles changed is refused at once by a running service.
 */
export class Directory {
  readonly #byId: Map<string, Department>;
  constructor(departments: readonly Department[]) {
    this.#byId = new Map(departments.map((d) => [d.id, d]));
  }
  /** DepartmentRegistered / DepartmentUpdated. */
  put(department: Department): void {
    this.#byId.set(department.id, department);
  }
  /** DepartmentRemoved. */
  remove(id: string): void {
    this.#byId.delete(id);
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
