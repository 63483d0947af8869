// @vitest-environment node
// Every dialog and drawer is lazy: TDesign otherwise builds a hidden dialog's whole
// content when the page starts (and a destroy-on-close one builds it and tears it down),
// which made the first screen slower to draw by the work of every dialog in the app.
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { expect, test } from 'vitest'

function vueFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? vueFiles(join(dir, e.name)) : e.name.endsWith('.vue') ? [join(dir, e.name)] : [],
  )
}

test('every t-dialog and t-drawer has the lazy attribute', () => {
  const src = resolve(__dirname, '../src')
  const tags: string[] = []
  const notLazy: string[] = []
  for (const f of vueFiles(src)) {
    for (const m of readFileSync(f, 'utf8').matchAll(/<t-(dialog|drawer)\b([^>]*)>/g)) {
      tags.push(f)
      if (!/(^|\s)lazy(\s|$|=)/.test(m[2] ?? '')) notLazy.push(`${f.slice(src.length + 1)}: <t-${m[1]}${(m[2] ?? '').slice(0, 60)}…>`)
    }
  }
  expect(tags.length).toBeGreaterThan(10)
  expect(notLazy).toEqual([])
})
