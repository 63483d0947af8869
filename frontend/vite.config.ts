import { readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
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

// gzipAssets stores the bundles in dist/assets gzip-compressed (NAME.gz instead of NAME):
// they are embedded in the Go binary, and this keeps it ~1 MB smaller. main.go's
// gzipAssets file system decompresses them when the webview asks for NAME. index.html
// stays plain. (Only for `vite build`; `vite` dev serving is unaffected.)
const gzipAssets = () => ({
  name: 'gzip-assets',
  apply: 'build' as const,
  closeBundle() {
    const dir = resolve(__dirname, 'dist/assets')
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.gz')) continue
      const file = join(dir, name)
      writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }))
      unlinkSync(file)
    }
  },
})

export default defineConfig({
  plugins: [vue(), keepPlaceholder(), gzipAssets()],
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
