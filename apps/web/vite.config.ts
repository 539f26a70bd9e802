import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'
import { VitePWA } from 'vite-plugin-pwa'

/**
 * The relay serves dist/ at the same origin: /pos and /admin fall back to index.html,
 * the websocket is /mux. The service worker precaches the app shell (every emitted
 * asset, the admin chunk included) so a reload with the server or network gone still
 * opens the terminal.
 */
export default defineConfig({
  base: '/',
  plugins: [
    react(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script-defer',
      includeAssets: ['icon.svg', 'icon-192.png', 'icon-512.png', 'icon-maskable-512.png', 'apple-touch-icon.png'],
      manifest: {
        // A stable identity, so an update of start_url is the same installed app.
        id: '/pos',
        lang: 'es',
        dir: 'ltr',
        name: 'Tally',
        short_name: 'Tally',
        description: 'Terminal de venta que sigue vendiendo sin conexión',
        start_url: '/pos',
        scope: '/',
        display: 'standalone',
        background_color: '#f8fafc',
        theme_color: '#14532d',
        // PNGs from public/icon.svg (rsvg-convert); the maskable one is full-bleed with the
        // glyph inside the 80 % safe zone, so launchers may crop it to any shape.
        icons: [
          { src: '/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        navigateFallback: '/index.html',
        // The websocket, the REST API and metrics are never answered from the cache.
        navigateFallbackDenylist: [/^\/api\//, /^\/mux/, /^\/sync\//, /^\/metrics/, /^\/health/],
        clientsClaim: true,
        skipWaiting: true,
        cleanupOutdatedCaches: true,
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
      },
    }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: {
      '/mux': { target: 'ws://127.0.0.1:8787', ws: true },
      '/api': 'http://127.0.0.1:8787',
    },
  },
})
