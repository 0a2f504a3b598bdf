import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// The console is served by the Rust server at /console/ from assets embedded in its
// binary: hashed file names (cached for a year), no inline script (the page's CSP
// allows scripts from 'self' only), and a byte-identical output for the same sources
// so CI can rebuild web/dist and fail on any difference.
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Images and fonts stay files: a data: URL would need a wider img-src policy.
    assetsInlineLimit: 0,
    // The polyfill is for browsers without <link rel="modulepreload">; the console
    // targets current Chromium/Edge/Firefox, and the polyfill would be one more script.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1100,
    rollupOptions: {
      output: {
        // The libraries change far less often than the views: separate chunks keep
        // them cached across console releases.
        manualChunks(id: string) {
          if (!id.includes('node_modules')) return undefined;
          if (id.includes('element-plus') || id.includes('@floating-ui') || id.includes('@vueuse') || id.includes('lodash')) return 'element-plus';
          if (id.includes('echarts') || id.includes('zrender')) return 'echarts';
          if (id.includes('leaflet')) return 'leaflet';
          return 'vendor';
        },
      },
    },
  },
});
