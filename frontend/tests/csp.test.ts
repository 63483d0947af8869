// @vitest-environment node
// The Content-Security-Policy of the production build allows no WebSocket source; only the
// dev build (vite serve, which `wails dev` runs) adds the localhost ones it needs.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createServer, type Plugin } from 'vite'
import { describe, expect, test } from 'vitest'
import config from '../vite.config'

const indexHtml = readFileSync(resolve(__dirname, '../index.html'), 'utf8')

function csp(html: string): string {
  const m = html.match(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/)
  if (!m?.[1]) throw new Error('no CSP meta tag')
  return m[1]
}

// transformForBuild runs the index.html hooks of the plugins `vite build` applies.
async function transformForBuild(html: string): Promise<string> {
  const plugins = (config.plugins ?? []).flat(2) as unknown as Plugin[]
  for (const p of plugins) {
    if (!p || (p.apply && p.apply !== 'build' && (typeof p.apply !== 'function' || !p.apply({}, { command: 'build', mode: 'production' })))) continue
    const hook = p.transformIndexHtml
    const fn = typeof hook === 'function' ? hook : hook?.handler
    if (!fn) continue
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const out = await (fn as any)(html, { path: '/index.html', filename: resolve(__dirname, '../index.html') })
    if (typeof out === 'string') html = out
  }
  return html
}

describe('Content-Security-Policy', () => {
  test('the production build allows no ws: or wss: source', async () => {
    const policy = csp(await transformForBuild(indexHtml))
    expect(policy).toMatch(/connect-src 'self' wails:;/)
    expect(policy).not.toMatch(/\bwss?:/)
  })

  test('the dev server adds the localhost WebSockets, and nothing else changes', async () => {
    const server = await createServer({ configFile: resolve(__dirname, '../vite.config.ts'), server: { middlewareMode: true }, logLevel: 'silent' })
    try {
      const policy = csp(await server.transformIndexHtml('/index.html', indexHtml))
      expect(policy).toBe(csp(indexHtml).replace("connect-src 'self' wails:", "connect-src 'self' wails: ws://localhost:* ws://127.0.0.1:*"))
    } finally {
      await server.close()
    }
  })
})
