// Vite build of the renderer: the Vue board served by a node on port 8778 and loaded by Electron.
// Relative base so the same dist/renderer works from file:// (desktop) and from http (web mode).
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // strict CSP (default-src 'self'): no inline scripts, no data: URLs for assets
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
  },
  server: { host: '127.0.0.1', port: 5178, strictPort: false },
});
