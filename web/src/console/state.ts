// Session-wide state of the console: the directory (sites, jurisdictions) loaded once
// after signing in, and whether it is ready for the views.
import { ref } from 'vue';
import { errorText } from '../shared/api';
import { loadDirectory } from './directory';

export const directoryReady = ref(false);
export const directoryError = ref('');

export async function reloadDirectory(): Promise<void> {
  directoryError.value = '';
  try {
    await loadDirectory();
  } catch (e) {
    directoryError.value = errorText(e);
  } finally {
    // The views still work without names (they show '—'), so they open either way.
    directoryReady.value = true;
  }
}
