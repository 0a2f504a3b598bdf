// Hash history: the server serves one index at /console/, whatever the view.
import { createRouter, createWebHashHistory } from 'vue-router';

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', name: 'dashboard', component: () => import('./views/DashboardView.vue') },
    { path: '/anomalies', name: 'anomalies', component: () => import('./views/AnomaliesView.vue') },
    { path: '/visits', name: 'visits', component: () => import('./views/VisitsView.vue') },
    { path: '/reports', name: 'reports', component: () => import('./views/ReportsView.vue') },
    { path: '/coverage', name: 'coverage', component: () => import('./views/CoverageView.vue') },
    { path: '/inspections', name: 'inspections', component: () => import('./views/InspectionsView.vue') },
    { path: '/inspection-records', name: 'inspection-records', component: () => import('./views/InspectionRecordsView.vue') },
    { path: '/filings', name: 'filings', component: () => import('./views/FilingsView.vue') },
    { path: '/admin/sites', name: 'sites', component: () => import('./views/admin/SitesView.vue') },
    { path: '/admin/sites/:id', name: 'site', component: () => import('./views/admin/SiteView.vue') },
    { path: '/admin/people', name: 'people', component: () => import('./views/admin/PeopleView.vue') },
    { path: '/admin/people/:id', name: 'physician', component: () => import('./views/admin/PhysicianView.vue') },
    { path: '/admin/programs', name: 'programs', component: () => import('./views/admin/ProgramsView.vue') },
    { path: '/admin/import', name: 'import', component: () => import('./views/admin/ImportView.vue') },
    { path: '/admin/audit', name: 'audit', component: () => import('./views/admin/AuditView.vue') },
    { path: '/admin/holidays', name: 'holidays', component: () => import('./views/admin/HolidaysView.vue') },
    { path: '/assignments', name: 'assignments', component: () => import('./views/AssignmentsView.vue') },
    { path: '/device-moves', name: 'device-moves', component: () => import('./views/DeviceMovesView.vue') },
    { path: '/clinic/today', name: 'clinic-today', component: () => import('./views/clinic/ClinicVisitsView.vue') },
    { path: '/clinic/confirm', name: 'clinic-confirm', component: () => import('./views/clinic/ClinicVisitsView.vue') },
    { path: '/clinic/report', name: 'clinic-report', component: () => import('./views/clinic/ClinicReportView.vue') },
    { path: '/appeals', name: 'appeals', component: () => import('./views/AppealsView.vue') },
    { path: '/inspection-plans', name: 'inspection-plans', component: () => import('./views/InspectionPlansView.vue') },
    { path: '/:pathMatch(.*)*', redirect: '/' },
  ],
});
