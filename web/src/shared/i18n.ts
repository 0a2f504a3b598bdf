// The console speaks Chinese first; English is one click away. Every label is written
// as a pair at the place it is used (or in labels.ts for the API's enumerations), so a
// missing translation is visible in review rather than a missing key at run time.
import { ref } from 'vue';

export type Lang = 'zh' | 'en';
export type Pair = readonly [zh: string, en: string];

const STORAGE_KEY = 'xiaxiang.console.lang';

function initial(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export const lang = ref<Lang>(initial());

export function setLang(next: Lang): void {
  lang.value = next;
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
}

/** The label in the current language. */
export function t(zh: string, en: string): string {
  return lang.value === 'zh' ? zh : en;
}

/** A pair (or an unknown value shown as it is) in the current language. */
export function tp(pair: Pair | undefined, fallback = ''): string {
  if (!pair) return fallback;
  return lang.value === 'zh' ? pair[0] : pair[1];
}
