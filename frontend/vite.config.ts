import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import vue from '@vitejs/plugin-vue'
import license from 'rollup-plugin-license'
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
const gzipAssets = () => {
  let outDir = resolve(__dirname, 'dist')
  return {
    name: 'gzip-assets',
    apply: 'build' as const,
    // The folder built into (scripts/notices.sh builds into a scratch one).
    configResolved(c: { root: string; build: { outDir: string } }) {
      outDir = resolve(c.root, c.build.outDir)
    },
    closeBundle() {
      const dir = join(outDir, 'assets')
      if (!existsSync(dir)) return // the build failed before writing; let its error show
      for (const name of readdirSync(dir)) {
        if (name.endsWith('.gz')) continue
        const file = join(dir, name)
        writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }))
        unlinkSync(file)
      }
    },
  }
}

// devConnectSrc widens connect-src in index.html's Content-Security-Policy for the dev
// build only (`vite` / `wails dev`, i.e. `vite serve`): Vite's hot reload and the Wails dev
// runtime open WebSockets to localhost ports other than the page's. The production build
// keeps the strict policy of index.html, which allows no ws: source at all (the app talks to
// Go over the wails: scheme; 'self' covers a same-origin WebSocket in a browser).
export const devConnectSrc = () => ({
  name: 'dev-connect-src',
  apply: 'serve' as const,
  transformIndexHtml(html: string) {
    const out = html.replace(/(connect-src [^;"]*)/, '$1 ws://localhost:* ws://127.0.0.1:*')
    if (out === html) throw new Error('dev-connect-src: no connect-src in the CSP of index.html')
    return out
  },
})

// INLINES_DEPENDENCIES are packages whose published files carry copies of their own
// dependencies (TDesign's es/_chunks/dep-*.mjs hold dayjs, tinycolor2, mitt, …), which the
// bundle then includes without rollup seeing those packages: their dependencies (less
// type declarations and what the bundle imports itself) are listed with them.
const INLINES_DEPENDENCIES = ['tdesign-vue-next']

type NpmNotice = { name: string; version: string; license: string; licenseText: string; noticeText: string }

// packageDir finds an installed package the way Node resolves it from a folder.
function packageDir(name: string, from: string): string {
  for (let d = from; ; d = dirname(d)) {
    const p = join(d, 'node_modules', name)
    if (existsSync(join(p, 'package.json'))) return p
    if (dirname(d) === d) throw new Error(`third-party notices: ${name} is not installed (from ${from})`)
  }
}

// packageNotice reads an installed package's license and NOTICE files.
function packageNotice(dir: string): NpmNotice {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; license?: string }
  const read = (re: RegExp) => readdirSync(dir).filter((f) => re.test(f)).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n\n')
  return { name: pkg.name, version: pkg.version, license: pkg.license ?? '', licenseText: read(/^(licen[cs]e|copying)/i), noticeText: read(/^notice/i) }
}

// moreDependencies are the packages the bundle holds that rollup does not name: those
// INLINES_DEPENDENCIES carry copies of, and the production dependencies of package.json
// whose own files were left out whole (vue only re-exports @vue/runtime-dom): they are
// what the app declares it ships.
function moreDependencies(bundled: NpmNotice[]): NpmNotice[] {
  const have = new Set(bundled.map((d) => d.name))
  const out: NpmNotice[] = []
  const declared = Object.keys((JSON.parse(readFileSync(join(__dirname, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies)
  for (const name of declared.filter((n) => !have.has(n))) {
    have.add(name)
    out.push(packageNotice(packageDir(name, __dirname)))
  }
  for (const name of INLINES_DEPENDENCIES.filter((n) => have.has(n))) {
    const dir = packageDir(name, __dirname)
    const deps = Object.keys((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {})
    for (const dep of deps.filter((d) => !d.startsWith('@types/') && !have.has(d))) {
      have.add(dep)
      out.push(packageNotice(packageDir(dep, dir)))
    }
  }
  return out
}

// thirdPartyNotices keeps the third-party notices true for the npm side: rollup-plugin-license
// sees every package the bundle takes modules from. With KMSDESK_NOTICES_NPM set
// (scripts/notices.sh: `make notices`, `make check-notices`) it writes them, with their
// license and NOTICE texts, to that file for scripts/notices. Otherwise it fails the build
// when the bundle and src/notices.gen.json disagree (a package or a version missing, or
// one listed that is no longer bundled): nothing ships without its notice.
export const thirdPartyNotices = () => ({
  ...license({
    thirdParty: {
      multipleVersions: true,
      output: (deps) => {
        const seen: NpmNotice[] = deps.map((d) => ({ name: d.name ?? '', version: d.version ?? '', license: d.license ?? '', licenseText: d.licenseText ?? '', noticeText: d.noticeText ?? '' }))
        const bundled = [...seen, ...moreDependencies(seen)]
        const out = process.env.KMSDESK_NOTICES_NPM
        if (out) {
          writeFileSync(out, JSON.stringify(bundled, null, 2))
          return
        }
        const gen = JSON.parse(readFileSync(resolve(__dirname, 'src/notices.gen.json'), 'utf8')) as { packages: { name: string; version: string; kind: string }[] }
        const listed = new Set(gen.packages.filter((p) => p.kind === 'npm').map((p) => `${p.name}@${p.version}`))
        const have = new Set(bundled.map((d) => `${d.name}@${d.version}`))
        const missing = [...have].filter((k) => !listed.has(k))
        const gone = [...listed].filter((k) => !have.has(k))
        if (missing.length > 0 || gone.length > 0) {
          throw new Error(
            `third-party notices are stale (run 'make notices' and commit the result): ` +
              [missing.length > 0 ? `bundled without a notice: ${missing.join(', ')}` : '', gone.length > 0 ? `listed but no longer bundled: ${gone.join(', ')}` : ''].filter(Boolean).join('; '),
          )
        }
      },
    },
  }),
  apply: 'build' as const,
})

export default defineConfig({
  plugins: [vue(), keepPlaceholder(), gzipAssets(), devConnectSrc(), thirdPartyNotices()],
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
