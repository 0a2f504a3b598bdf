// Forms that validate as the API does: the server names the field it refuses at the
// start of the problem's `detail` ("max_accuracy_m: must be between 5 and 1000"), so
// the detail goes next to that field; anything else goes above the form.
import { reactive } from 'vue';
import { ApiError, errorText } from './api';

export interface FieldErrors {
  /** Messages by field name; `_form` for what belongs to no one field. */
  messages: Record<string, string>;
  clear(): void;
  set(field: string, message: string): void;
  /** Puts an API error next to its field when the detail names one of `fields`. */
  take(e: unknown, fields: string[]): void;
  any(): boolean;
}

export function fieldErrors(): FieldErrors {
  const errors: FieldErrors = reactive({
    messages: {} as Record<string, string>,
    clear() {
      for (const k of Object.keys(errors.messages)) delete errors.messages[k];
    },
    set(field: string, message: string) {
      errors.messages[field] = message;
    },
    take(e: unknown, fields: string[]) {
      const field = e instanceof ApiError ? fieldOfDetail(e.detail, fields) : null;
      errors.messages[field ?? '_form'] = field ? (e as ApiError).detail : errorText(e);
    },
    any() {
      return Object.keys(errors.messages).length > 0;
    },
  });
  return errors;
}

/** The field a problem's detail starts with (`name: …`, `lat, lon: …`), if it is one of `fields`. */
export function fieldOfDetail(detail: string, fields: string[]): string | null {
  const m = /^\s*([a-z_][a-z0-9_.]*)(?:\[\d+\])?\s*[:：]/i.exec(detail);
  if (!m || !m[1]) return null;
  const name = m[1].split('.')[0] ?? '';
  return fields.includes(name) ? name : null;
}
