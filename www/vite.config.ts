import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The kernel serves dist/ at "/" (SPA fallback to index.html), so asset URLs are absolute
// from the root: a deep link such as /proxies/3 must still find /assets/....
// During `npm run dev`, /api is proxied to a locally running server (SP_API, default :8000).
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
  server: {
    proxy: {
      '/api': { target: process.env.SP_API ?? 'http://127.0.0.1:8000', changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
