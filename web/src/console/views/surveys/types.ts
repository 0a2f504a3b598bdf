// The survey wire types the console reads (mobile-api/src/survey.rs).
export type RoundStatus = 'open' | 'drawn' | 'closed';
export type Rating = 'satisfied' | 'basic' | 'unsatisfied';

export interface SurveyRound {
  id: string; jurisdiction_code: string; jurisdiction_name: string; program_id: string | null; program_name: string | null;
  period: string; from: string; to: string; sample_size: number; status: RoundStatus; seed: string | null;
  registered: number; drawn: number; called: number; created_at: string; drawn_at: string | null;
  closed_at: string | null; erase_after: string | null; erased_at: string | null;
}
export interface SurveyPerson {
  id: string; name_masked: string; phone_masked: string; service_date: string; site_id: string; site_name: string;
  physician_id: string; physician_name: string; draw_order: number | null; attempts: number;
  reached: boolean | null; rating: Rating | null; note: string | null; last_called_at: string | null;
}
export interface SurveyCall { person: SurveyPerson; name: string | null; phone: string | null }
export interface SurveyPhysician { physician_id: string; physician_name: string; site_id: string; site_name: string }
export interface TallyRow extends Record<string, unknown> {
  site_name: string | null; physician_name: string | null; drawn: number; called: number; reached: number;
  satisfied: number; basic: number; unsatisfied: number; rate_percent: number | null;
}
export interface SurveyReport { round: SurveyRound; by_physician: TallyRow[]; by_site: TallyRow[]; total: TallyRow; rate_definition: string }
export interface SurveyDraw { round: SurveyRound; seed: string; candidates: number; sample: string[]; repeated: boolean; matches_recorded: boolean | null }

export const STATUS: Record<RoundStatus, string> = { open: '登记中', drawn: '已抽样', closed: '已结束' };
export const RATING: Record<Rating, string> = { satisfied: '满意', basic: '基本满意', unsatisfied: '不满意' };
