import { defineConfig } from 'vite';

// The physician's phone page (/m/): the second entry of web/, built after the console
// into web/dist/m/ and embedded in the server binary the same way. Plain TypeScript
// over the DOM (no Vue, no component library) so a village phone on a slow network
// loads little; Leaflet is a separate chunk loaded only when the map is opened. The
// service worker is its own unhashed entry, `sw.js`, so its scope is /m/.
const here = (path: string): string => decodeURIComponent(new URL(path, import.meta.url).pathname);

export default defineConfig({
  root: here('./m'),
  base: '/m/',
  publicDir: here('./m/public'),
  build: {
    outDir: here('./dist/m'),
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        index: here('./m/index.html'),
        sw: here('./src/mobile/sw.ts'),
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js'),
        manualChunks(id: string) {
          if (id.includes('leaflet')) return 'leaflet';
          return undefined;
        },
      },
    },
  },
});
