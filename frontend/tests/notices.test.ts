// Third-party notices: every npm package the app ships has a notice at the version
// installed, every notice has a license and its text, and Settings → About lists them and
// shows each text. (Go modules: notices_test.go; the whole file: make check-notices; what
// the bundle really includes: every production build, through vite.config.ts.)
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import notices from '../src/notices.gen.json'
import { click, flush, mountApp, q } from './mount'

const root = resolve(__dirname, '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
const installed = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
const npm = notices.packages.filter((p) => p.kind === 'npm')

describe('third-party notices', () => {
  it('cover every production dependency at the version installed', () => {
    const missing = Object.keys(pkg.dependencies).filter((name) => !npm.some((p) => p.name === name && p.version === installed(name)))
    expect(missing).toEqual([])
  })

  it('list only installed versions (none stale), each with a license and its text', () => {
    for (const p of npm) {
      if (existsSync(join(root, 'node_modules', p.name, 'package.json')) && p.name !== '@wailsapp/runtime') {
        expect(`${p.name}@${installed(p.name)}`).toBe(`${p.name}@${p.version}`)
      }
    }
    for (const p of notices.packages) {
      expect(p.license, p.name).toMatch(/^[A-Za-z0-9.+-]+( (AND|OR) [A-Za-z0-9.+-]+)*$/)
      expect(notices.texts[p.text]?.trim().length ?? 0, p.name).toBeGreaterThan(100)
    }
    expect(notices.packages.filter((p) => p.kind === 'go').map((p) => p.name)).toContain('github.com/wailsapp/wails/v2')
  })

  it('show in About with each license text', async () => {
    const { default: ThirdPartyNotices } = await import('../src/components/ThirdPartyNotices.vue')
    const { w } = mountApp(ThirdPartyNotices)
    await flush(20)
    const rows = document.querySelectorAll('[data-testid="notice-row"]')
    expect(rows.length).toBe(notices.packages.length)
    const vue = q('[data-testid="notice-row"][data-name="@vue/runtime-core"]')
    expect(vue.textContent).toContain('MIT')
    vue.querySelector<HTMLElement>('[data-testid="notice-show"]')?.click()
    await flush()
    expect(q('[data-testid="notice-text"]').textContent).toBe(notices.texts[npm.find((p) => p.name === '@vue/runtime-core')!.text])
    await click('[data-testid="own-license"]')
    expect(q('[data-testid="notice-text"]').textContent).toContain('Apache License')
    w.unmount()
  })
})
