// A person as `GET /users` lists them.
export interface UserRow {
  id: string;
  role: string;
  name: string;
  phone: string;
  organization_id: string | null;
  jurisdiction_code: string | null;
  title: string | null;
  specialty: string | null;
  gender: string | null;
  practice_since_year?: number | null;
  discipline?: string | null;
  active: boolean;
  deactivated_at?: string;
}
