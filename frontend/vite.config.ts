import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

// keepPlaceholder re-creates dist/.gitkeep after a build: the Go side embeds frontend/dist
// with go:embed, which must compile on a fresh clone before any frontend build.
const keepPlaceholder = () => ({
  name: 'keep-dist-placeholder',
  closeBundle() {
    writeFileSync(resolve(__dirname, 'dist/.gitkeep'), '')
  },
})

export default defineConfig({
  plugins: [vue(), keepPlaceholder()],
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    // No inline scripts or data: modules, so the strict CSP in index.html holds.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.ts'],
  },
})
