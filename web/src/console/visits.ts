// A service visit as the console lists it, and the worth of one (contract B of
// docs/console-api.md): full day, half day, nothing, or not yet decided.
import type { Pair } from '../shared/i18n';

export interface VisitRow {
  id: string;
  physician_id: string;
  site_id: string;
  local_date: string;
  checked_in_at: string;
  checked_out_at: string | null;
  minutes: number | null;
  status: string;
  credit_state: string;
  credit?: string;
  site_name?: string | null;
  physician_name?: string | null;
  hospital_name?: string | null;
  anomalies?: unknown[];
  clinic_confirmation?: ClinicConfirmation | null;
}

/** The receiving clinic's word on a service (受援单位日常考核). */
export interface ClinicConfirmation {
  id: string;
  verdict: 'confirmed' | 'disputed';
  reason: string;
  confirmed_by: string;
  confirmed_by_name?: string | null;
  confirmed_at: string;
  anomaly_id?: string | null;
}

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
export interface Appeal {
  id: string;
  visit_id: string;
  status: 'pending' | 'upheld' | 'rejected';
  note: string;
  created_at: string;
  decision_note: string | null;
  decided_at?: string | null;
  decided_by_name?: string | null;
  physician_name?: string | null;
  site_name?: string | null;
  local_date?: string | null;
}

export const APPEAL_STATUS: Record<string, Pair> = {
  pending: ['待处理', 'Pending'],
  upheld: ['申诉成立', 'Upheld'],
  rejected: ['已驳回', 'Rejected'],
};
