import type { RequestEvent } from '@govmesh/contracts/avro';
import type { EntrySnapshot } from './entry.ts';
import type { ShareGrant } from './share.ts';

/** Fixtures of the exchange's dataset and delivery rules (unit tests); fixtures.ts holds the masking and fingerprint data. */
export const PROVIDER = 'dept-public-security';
export const REQUESTER = 'dept-civil-affairs';
export const OTHER = 'dept-human-resources';
export const ENTRY = 'entry-1';
export const SHARE = 'share-1';

/** An entry with items of all three grades and of several types; the key is citizen_id. */
export const entry = (over: Partial<EntrySnapshot> = {}): EntrySnapshot => ({
  entryId: ENTRY,
  provider: PROVIDER,
  status: 'PUBLISHED',
  version: 1,
  items: [
    { name: 'citizen_id', type: 'string(18)', grade: 'IMPORTANT' },
    { name: 'name', type: 'string', grade: 'GENERAL' },
    { name: 'birth_date', type: 'date', grade: 'GENERAL' },
    { name: 'household_size', type: 'integer', grade: 'GENERAL' },
    { name: 'income', type: 'decimal(12,2)', grade: 'CORE' },
    { name: 'disabled', type: 'boolean', grade: 'IMPORTANT' },
  ],
  shareMethods: ['API', 'BATCH'],
  notShared: false,
  ...over,
});

/** Request events of a share drafted for citizen_id, name and income, then approved for citizen_id and name. */
export const approvedShareEvents = (shareId = SHARE): RequestEvent[] => [
  {
    type: 'ShareRequestDrafted',
    data: {
      shareId, platform: 'national', requester: REQUESTER, entryName: '人口基础信息', shareAttribute: 'CONDITIONAL',
      content: {
        entryId: ENTRY, entryVersion: 1, provider: PROVIDER, dataItems: ['citizen_id', 'name', 'income'], legalBasis: '社会救助暂行办法 Art. 11', useScenario: 'eligibility checks', useScope: 'case officers',
        shareMethod: 'API', periodFrom: '2026-09-01', periodUntil: '2027-08-31', commitment: { genuine: true, lawful: true, necessary: true, secure: true },
      },
    },
  },
  {
    type: 'ShareRequestApproved',
    data: {
      shareId, approvedBy: PROVIDER, headApprover: 'Director Wang', automatic: false, dataItems: ['citizen_id', 'name'], conditions: '', disposalRequirement: '',
      deliveryDueAt: '2026-10-26T15:59:59.999Z', replyDueAt: null, late: null, deliveryDueAtProvisional: false, approvedAt: '2026-09-21T01:00:00.000Z',
    },
  },
];

export const approvedShare = (over: Partial<ShareGrant> = {}): ShareGrant => ({
  shareId: SHARE, state: 'APPROVED', requester: REQUESTER, provider: PROVIDER, entryId: ENTRY, shareMethod: 'API',
  requestedItems: ['citizen_id', 'name', 'income'], approvedItems: ['citizen_id', 'name'], periodFrom: '2026-09-01', periodUntil: '2027-08-31', ...over,
});

/** Monday 21 September 2026, 09:00 in China. */
export const T0 = new Date('2026-09-21T09:00:00+08:00');
