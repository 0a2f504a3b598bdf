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
}

export const CREDIT_LEVEL: Record<string, Pair> = {
  full: ['全天', 'Full day'],
  half: ['半天', 'Half day'],
  none: ['不计入', 'Not credited'],
  pending: ['待定', 'Pending'],
};
