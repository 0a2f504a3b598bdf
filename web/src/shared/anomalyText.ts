// An anomaly in words a supervisor reads: the server's one sentence and its facts as
// labelled fields. The server owns these texts (server/src/domain/anomaly_text.rs, the
// same sentences the phone page shows); the console is embedded in that same binary,
// so every anomaly it reads carries them and nothing here builds a sentence itself.
import type { Schema } from './api';
import type { Lang, Pair } from './i18n';

export type Anomaly = Schema<'Anomaly'>;

/** A fact as the server labels it. */
export type ServerFact = Schema<'AnomalyFact'>;

export interface Fact {
  key: string;
  label: Pair;
  value: Pair;
}

/** The kind's name in `lang`, as the server gives it. */
export function anomalyLabel(a: Anomaly, lang: Lang): string {
  return (lang === 'zh' ? a.label_zh : a.label_en) ?? a.kind;
}

/** The anomaly's sentence in `lang`, as the server wrote it. */
export function anomalySentence(a: Anomaly, lang: Lang): string {
  return (lang === 'zh' ? a.summary_zh : a.summary_en) ?? '';
}

/** The anomaly's facts as labelled fields, as the server labelled them. */
export function anomalyFacts(a: Anomaly): Fact[] {
  return (a.facts ?? []).map((f) => ({
    key: f.key,
    label: [f.label_zh, f.label_en],
    value: [f.value_text, f.value_en],
  }));
}
