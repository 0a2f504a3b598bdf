// Compile-time checks of the calls typed by the document (nothing here runs or is bundled:
// `vue-tsc` reads it with every build). Each `@ts-expect-error` line must fail to
// type-check, or the build fails: a wrong path, parameter, query name, body or field is
// caught before it reaches a user.
import { apiGet, apiGetWithTotal, apiPost, type Answer } from './api';

export async function callsAreCheckedAgainstTheDocument(): Promise<void> {
  const page = await apiGet('/api/v1/visits', { query: { site_id: 'site', flagged: 'true', limit: 20 } });
  const day: string | undefined = page.items[0]?.local_date;
  const total: number | null = (await apiGetWithTotal('/api/v1/inspections', { query: { limit: 20 } })).total;
  const anomaly: Answer<'/api/v1/anomalies/{id}/review', 'post'> = await apiPost('/api/v1/anomalies/{id}/review', {
    path: { id: 'anomaly' },
    body: { decision: 'dismiss', note: 'checked on site' },
  });
  void [day, total, anomaly.kind];

  // @ts-expect-error: a field the document does not have
  void page.items[0]?.service_date;
  // @ts-expect-error: a path the document does not have
  await apiGet('/api/v1/visit');
  // @ts-expect-error: a query parameter the document does not have
  await apiGet('/api/v1/visits', { query: { site: 'site' } });
  // @ts-expect-error: a path parameter is required
  await apiGet('/api/v1/visits/{id}');
  // @ts-expect-error: a decision the document does not list
  await apiPost('/api/v1/anomalies/{id}/review', { path: { id: 'anomaly' }, body: { decision: 'accept', note: 'x' } });
  // @ts-expect-error: the review's body needs its note
  await apiPost('/api/v1/anomalies/{id}/review', { path: { id: 'anomaly' }, body: { decision: 'confirm' } });
}
