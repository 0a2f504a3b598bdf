// What each console role may open, mirroring the API's authorization (server/src/service:
// each use case's `actor.require`): the menu shows only these, and any other view shows a
// plain message instead of the API's 403.
import { computed } from 'vue';
import { session } from '../shared/api';

/** The console's roles (others — physicians, kiosks — use the phone and kiosk pages). */
export type ConsoleRole = 'admin' | 'supervisor' | 'hospital_admin' | 'clinic_admin';

const BUREAU = ['/', '/anomalies', '/visits', '/reports', '/filings', '/coverage', '/inspections', '/inspection-records', '/admin/sites', '/admin/people', '/admin/programs', '/assignments', '/appeals', '/complaints', '/promotion-notice', '/inspection-plans'];

/** The menu paths of each role, in menu order; a detail page belongs to its list's path. */
export const VIEWS: Record<ConsoleRole, string[]> = {
  admin: [...BUREAU, '/admin/import', '/admin/audit', '/admin/holidays', '/device-moves', '/surveys', '/photo-review'],
  supervisor: [...BUREAU, '/device-moves', '/surveys', '/photo-review'],
  // Its own staff: people (physicians), their service records, reports scoped to the
  // hospital (reports::resolve_scope), the personnel-table import (import::authorize).
  hospital_admin: ['/admin/people', '/reports', '/admin/import', '/device-moves', '/complaints', '/promotion-notice'],
  // Its own site's services today and over a range, confirmed or disputed
  // (visit_review::search, clinic::confirm), its site's monthly report
  // (reports::resolve_monthly_scope), its site (read-only) and wall screens (kiosks).
  clinic_admin: ['/clinic/today', '/clinic/confirm', '/clinic/report', '/admin/sites', '/complaints', '/surveys'],
};

export const myRole = computed(() => (session.value?.user.role ?? '') as ConsoleRole);

/** True when the signed-in role may open `path` (a list path or a detail page under it). */
export function canOpen(path: string, role: string = myRole.value): boolean {
  const views = VIEWS[role as ConsoleRole] ?? [];
  return views.some((v) => v === path || (v !== '/' && path.startsWith(`${v}/`)));
}

/** The view a role lands on after signing in. */
export function home(role: string = myRole.value): string {
  return VIEWS[role as ConsoleRole]?.[0] ?? '/';
}

/** Bureau staff (admin, supervisor): they edit sites and fences and review visits. */
export const isBureau = computed(() => myRole.value === 'admin' || myRole.value === 'supervisor');
