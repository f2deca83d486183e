import { assertNever } from '@govmesh/backbone';
import { AuditEventTypes, CatalogEventTypes, DirectoryEventTypes, ExchangeEventTypes, RequestEventTypes, type AuditEvent, type CatalogEvent, type DirectoryEvent, type ExchangeEvent, type RequestEvent } from '@govmesh/contracts/avro';

/**
 * The status an auditor reads off the events alone, per stream, named as the owning service names
 * it (the catalog's UPDATING / UPDATE_SUBMITTED, the request service's REFUSED / USE_ENDED, ...).
 * Typed on the generated event unions: a new event type fails to compile here until it is
 * given its meaning. Types of streams the audit does not know yet leave the status unchanged.
 */
export interface StreamStatus {
  status: string | undefined;
  /** Catalog: an update cycle is open (after a change in law or duties). */
  inUpdate: boolean;
  /** Catalog: assessments recorded since the last draft, revision or return. */
  assessments: string[];
  /** A deadline was missed (kept, the status goes on). */
  flag?: string;
}

export const initialStreamStatus = (): StreamStatus => ({ status: undefined, inUpdate: false, assessments: [] });

type Known = CatalogEvent | RequestEvent | DirectoryEvent | AuditEvent | ExchangeEvent;
const KNOWN = new Set<string>([...CatalogEventTypes, ...RequestEventTypes, ...DirectoryEventTypes, ...AuditEventTypes, ...ExchangeEventTypes]);

const catalogDraft = (s: StreamStatus): StreamStatus => ({ ...s, status: s.inUpdate ? 'UPDATING' : 'DRAFT', assessments: [] });

export const nextStatus = (s: StreamStatus, type: string, data: Record<string, unknown> | null): StreamStatus => {
  if (!KNOWN.has(type) || data === null) return s;
  const e = { type, data } as unknown as Known;
  const next: StreamStatus = { ...s };
  delete next.flag;
  switch (e.type) {
    case 'CatalogEntryDrafted':
    case 'CatalogEntryRevised':
    case 'CatalogEntryReturned':
      return catalogDraft(next);
    case 'CatalogAssessmentRecorded': {
      const assessments = [...new Set([...s.assessments, e.data.kind])];
      return { ...next, assessments, status: s.inUpdate ? 'UPDATING' : assessments.length === 2 ? 'ASSESSED' : 'DRAFT' };
    }
    case 'CatalogEntryHeadApproved':
      return { ...next, status: s.inUpdate ? 'UPDATING' : 'DEPT_APPROVED' };
    case 'CatalogEntrySubmitted':
      return { ...next, status: e.data.isUpdate ? 'UPDATE_SUBMITTED' : 'SUBMITTED' };
    case 'CatalogEntryPublished':
      return { ...next, status: 'PUBLISHED', inUpdate: false, assessments: [] };
    case 'CatalogEntryUpdateStarted':
      return { ...next, status: 'UPDATING', inUpdate: true, assessments: [] };
    case 'CatalogUpdateExtensionRequested':
    case 'CatalogUpdateExtensionGranted':
    case 'CatalogUpdateExtensionRefused':
      return next;
    case 'CatalogUpdateOverdue':
      return { ...next, flag: 'UPDATE_OVERDUE' };
    case 'CatalogReviewOverdue':
      return { ...next, flag: 'REVIEW_OVERDUE' };
    case 'ShareRequestDrafted':
    case 'ShareRequestRevised':
      return { ...next, status: 'DRAFT' };
    case 'ShareRequestInternallyApproved':
      return { ...next, status: 'INTERNAL_APPROVED' };
    case 'ShareRequestSubmitted':
    case 'ShareRequestResubmitted':
      return { ...next, status: 'SUBMITTED' };
    // APR-06, SUP-04: a reply or notice after its deadline is flagged from the event itself, whether or not a watcher flagged it.
    case 'MissingMaterialsNotified':
      return { ...next, status: 'MATERIALS_REQUESTED', ...(e.data.late === true ? { flag: 'NOTICE_LATE' } : {}) };
    case 'ShareRequestApproved':
      return { ...next, status: 'APPROVED', ...(e.data.late === true ? { flag: 'REPLY_LATE' } : {}) };
    case 'ShareRequestRefused':
      return { ...next, status: 'REFUSED', ...(e.data.late === true ? { flag: 'REPLY_LATE' } : {}) };
    case 'ShareRequestWithdrawn':
      return { ...next, status: 'WITHDRAWN' };
    case 'DisputeOpened':
    case 'DisputeEscalated':
      return { ...next, status: 'IN_DISPUTE' };
    case 'DisputeResolved':
      return { ...next, status: e.data.outcome === 'REFUSAL_UPHELD' || e.data.deliveryDueAt === null ? 'REFUSED' : 'APPROVED' };
    case 'ShareActivated':
    case 'ShareResumed':
      return { ...next, status: 'ACTIVE' };
    case 'ShareSuspended':
      return { ...next, status: 'SUSPENDED' };
    case 'ShareTerminated':
      return { ...next, status: 'TERMINATED' };
    case 'ShareUseEnded':
      return { ...next, status: 'USE_ENDED' };
    case 'DataDisposalConfirmed':
      return { ...next, status: 'DISPOSED' };
    case 'ReplyOverdue':
      return { ...next, flag: 'REPLY_OVERDUE' };
    case 'DeliveryOverdue':
      return { ...next, flag: 'DELIVERY_OVERDUE' };
    // Events that record a step without changing the status.
    case 'ReplyExtensionRequested':
    case 'ReplyDeadlineExtended':
    case 'ReplyExtensionRefused':
    case 'ScopeChangeRequested':
    case 'ScopeChangeApproved':
    case 'ScopeChangeRefused':
    case 'RectificationReported':
    case 'ServiceChangeProposed':
    case 'ServiceChangeNegotiated':
    case 'ServiceChangeFiled':
    case 'UsageRecorded':
    case 'CatalogDeadlineRecomputed':
    case 'ShareDeadlineRecomputed':
    case 'DepartmentRegistered':
    case 'DepartmentUpdated':
    case 'DepartmentRemoved':
    case 'ChildCheckpointWitnessed':
      return next;
    // The exchange's stream: a dataset loaded (on the entry), deliveries started (on the share).
    case 'DatasetVersionLoaded':
      return { ...next, status: `DATASET_V${e.data.datasetVersion}` };
    case 'ShareDeliveryStarted':
      return { ...next, status: 'DELIVERING' };
    // A file built for the share (a delivery): recorded in its lifecycle, the status unchanged.
    case 'ShareFileBuilt':
      return next;
    default:
      return assertNever(e, 'ledgered event');
  }
};
