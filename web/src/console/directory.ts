// The names behind the ids the API returns: sites (organisations) and jurisdictions
// loaded once per session, people looked up one by one and remembered.
import { reactive, ref } from 'vue';
import { apiGet, getAll, session, type Schema } from '../shared/api';
import { SHANGHAI } from '../shared/time';

export type Organization = Schema<'Organization'>;
export type Jurisdiction = Schema<'Jurisdiction'>;

export const organizations = ref<Organization[]>([]);
export const jurisdictions = ref<Jurisdiction[]>([]);
const orgById = new Map<string, Organization>();
const people = reactive(new Map<string, string>());
const asked = new Set<string>();

export async function loadDirectory(): Promise<void> {
  const [orgs, areas] = await Promise.all([
    getAll<Organization>('/api/v1/organizations'),
    // Areas are the bureau's (jurisdictions::list: admin and supervisors); a hospital's or
    // clinic's administrator does not ask for them.
    ['admin', 'supervisor'].includes(session.value?.user.role ?? '')
      ? getAll<Jurisdiction>('/api/v1/jurisdictions').catch(() => [] as Jurisdiction[])
      : Promise.resolve([] as Jurisdiction[]),
  ]);
  orgs.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  orgById.clear();
  for (const o of orgs) orgById.set(o.id, o);
  organizations.value = orgs;
  jurisdictions.value = areas;
}

/** Sites where physicians serve: every organisation with a fence, else all of them. */
export function serviceSites(): Organization[] {
  const fenced = organizations.value.filter((o) => o.geofence);
  return fenced.length ? fenced : organizations.value;
}

export function hospitals(): Organization[] {
  return organizations.value.filter((o) => o.kind === 'hospital');
}

export function siteName(id: string | null | undefined): string {
  if (!id) return '—';
  return orgById.get(id)?.name ?? '—';
}

export function site(id: string | null | undefined): Organization | undefined {
  return id ? orgById.get(id) : undefined;
}

export function siteZone(id: string | null | undefined): string {
  return (id && orgById.get(id)?.timezone) || SHANGHAI;
}

/** A person's name once it has loaded ('…' until then); ids are never shown. */
export function personName(id: string | null | undefined): string {
  if (!id) return '—';
  const known = people.get(id);
  if (known !== undefined) return known;
  if (!asked.has(id)) {
    asked.add(id);
    apiGet('/api/v1/users/{id}', { path: { id } })
      .then((u) => people.set(id, u.name))
      .catch(() => people.set(id, '—'));
  }
  return '…';
}

export function rememberPerson(id: string, name: string): void {
  people.set(id, name);
}
