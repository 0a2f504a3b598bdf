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
    { path: '/assignments', name: 'assignments', component: () => import('./views/AssignmentsView.vue') },
    { path: '/:pathMatch(.*)*', redirect: '/' },
  ],
});
