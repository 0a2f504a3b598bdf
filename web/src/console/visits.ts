// A service visit as the console lists it, and the worth of one (contract B of
// docs/console-api.md): full day, half day, nothing, or not yet decided.
import type { Schema } from '../shared/api';
import type { Pair } from '../shared/i18n';

export type VisitRow = Schema<'Visit'>;

/** The receiving clinic's word on a service (受援单位日常考核). */
export type ClinicConfirmation = Schema<'ClinicConfirmation'>;

export const CLINIC_VERDICT: Record<string, Pair> = {
  confirmed: ['受援单位已确认', 'Confirmed by the clinic'],
  disputed: ['受援单位有异议', 'Disputed by the clinic'],
};

export const CREDIT_LEVEL: Record<string, Pair> = {
  full: ['全天', 'Full day'],
  half: ['半天', 'Half day'],
  none: ['不计入', 'Not credited'],
  pending: ['待定', 'Pending'],
};

/** A physician's appeal on a service (申诉) and the supervisor's decision. */
export type Appeal = Schema<'Appeal'>;

export const APPEAL_STATUS: Record<string, Pair> = {
  pending: ['待处理', 'Pending'],
  upheld: ['申诉成立', 'Upheld'],
  rejected: ['已驳回', 'Rejected'],
};
