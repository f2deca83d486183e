import type { CatalogEntryContent, CatalogEvent } from '@govmesh/contracts/avro';
import type { Actor } from './catalog-entry.ts';

/** Test fixtures shared by the catalog's unit, integration and e2e tests. */
export const provider: Actor = { departmentId: 'dept-public-security', roles: ['provider', 'requester'], platform: 'national' };
export const otherProvider: Actor = { departmentId: 'dept-civil-affairs', roles: ['provider', 'requester'], platform: 'national' };
export const competent: Actor = { departmentId: 'dept-data-bureau', roles: ['competent', 'auditor'], platform: 'national' };
export const foreignCompetent: Actor = { departmentId: 'region-130000-data-bureau', roles: ['competent'], platform: 'region-130000' };

export const conditionalContent = (over: Partial<CatalogEntryContent> = {}): CatalogEntryContent => ({
  name: '人口基础信息',
  code: '1-01-001-0001',
  abstract: 'Resident population base records',
  provider: provider.departmentId,
  sourceDepartment: provider.departmentId,
  classification: '基础/人口',
  grade: 'IMPORTANT',
  dataItems: [
    { name: 'citizen_id', type: 'string', description: '公民身份号码', grade: 'IMPORTANT' },
    { name: 'name', type: 'string', description: '姓名', grade: 'GENERAL' },
  ],
  format: 'table',
  updateFrequency: 'DAILY',
  shareAttribute: 'CONDITIONAL',
  shareMethods: ['API', 'BATCH'],
  conditions: { scope: 'government departments handling social security', purpose: 'eligibility checks', other: '' },
  notSharedReason: null,
  notSharedLegalBasis: null,
  personalInformation: true,
  ...over,
});

export const ENTRY = 'entry-1';
export const T0 = new Date('2026-09-21T09:00:00+08:00');

/** The events of an entry that went through the whole publish workflow. */
export const publishedHistory = (content = conditionalContent()): CatalogEvent[] => [
  { type: 'CatalogEntryDrafted', data: { entryId: ENTRY, platform: 'national', draftedBy: provider.departmentId, content } },
  { type: 'CatalogAssessmentRecorded', data: { entryId: ENTRY, kind: 'SECRECY_RISK', reference: 'SR-1', conclusion: 'no secrets', recordedBy: provider.departmentId } },
  { type: 'CatalogAssessmentRecorded', data: { entryId: ENTRY, kind: 'PERSONAL_INFORMATION', reference: 'PI-1', conclusion: 'PI minimised', recordedBy: provider.departmentId } },
  { type: 'CatalogEntryHeadApproved', data: { entryId: ENTRY, approver: 'Director Wang', recordedBy: provider.departmentId } },
  { type: 'CatalogEntrySubmitted', data: { entryId: ENTRY, submittedBy: provider.departmentId, isUpdate: false, reviewDueAt: null, reviewDueAtProvisional: false, submittedAt: T0.toISOString() } },
  { type: 'CatalogEntryPublished', data: { entryId: ENTRY, version: 1, reviewedBy: competent.departmentId, content } },
];
