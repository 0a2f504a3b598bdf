// An anomaly in words a supervisor reads: the server's one sentence and its facts as
// labelled fields. The server owns these texts (server/src/domain/anomaly_text.rs, the
// same sentences the phone page shows); the console is embedded in that same binary,
// so every anomaly it reads carries them and nothing here builds a sentence itself.
import type { Lang, Pair } from './i18n';

export interface Anomaly {
  id: string;
  kind: string;
  severity: string;
  status: string;
  physician_id: string | null;
  site_id: string | null;
  visit_id?: string | null;
  event_ids: string[];
  detected_at: string;
  detail: Record<string, unknown>;
  review?: { decision: string; note: string; reviewer_id: string; reviewed_at: string } | null;
  label_zh: string;
  label_en: string;
  summary_zh: string;
  summary_en: string;
  facts: ServerFact[];
  physician_name?: string | null;
  site_name?: string | null;
}

/** A fact as the server labels it. */
export interface ServerFact {
  key: string;
  label_zh: string;
  label_en: string;
  value_text: string;
  value_en: string;
}

export interface Fact {
  key: string;
  label: Pair;
  value: Pair;
}

/** The kind's name in `lang`, as the server gives it. */
export function anomalyLabel(a: Anomaly, lang: Lang): string {
  return lang === 'zh' ? a.label_zh : a.label_en;
}

/** The anomaly's sentence in `lang`, as the server wrote it. */
export function anomalySentence(a: Anomaly, lang: Lang): string {
  return lang === 'zh' ? a.summary_zh : a.summary_en;
}

/** The anomaly's facts as labelled fields, as the server labelled them. */
export function anomalyFacts(a: Anomaly): Fact[] {
  return (a.facts ?? []).map((f) => ({
    key: f.key,
    label: [f.label_zh, f.label_en],
    value: [f.value_text, f.value_en],
  }));
}
