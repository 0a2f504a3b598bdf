// Whether the browser believes it is online; views reload what failed when it is back.
import { ref } from 'vue';

export const online = ref(navigator.onLine !== false);
window.addEventListener('online', () => (online.value = true));
window.addEventListener('offline', () => (online.value = false));
