import { describe, expect, it } from 'vitest'
import { formatBytes, formatDuration, formatRate, percent } from '../src/progress'

const MB = 1024 * 1024

describe('percent', () => {
  it('is bytes done over total, rounded down to one decimal', () => {
    expect(percent(0, 1000)).toBe(0)
    expect(percent(1, 3)).toBe(33.3)
    expect(percent(2, 3)).toBe(66.6)
    expect(percent(999, 1000)).toBe(99.9)
    expect(percent(1000, 1000)).toBe(100)
  })
  it('never says 100 before the last byte', () => {
    expect(percent(MB * 1024 - 1, MB * 1024)).toBe(99.9)
  })
  it('is clamped to 0–100', () => {
    expect(percent(2000, 1000)).toBe(100)
    expect(percent(-5, 1000)).toBe(0)
  })
  it('counts files when there are no bytes (empty files)', () => {
    expect(percent(0, 0, 1, 4)).toBe(25)
    expect(percent(0, 0, 0, 0)).toBe(0)
  })
})

describe('formatting', () => {
  // Sizes and rates are decimal, like GNOME Files, macOS and kmsctl: 1 KB = 1,000 bytes,
  // 1 MB = 1,000,000 bytes, 1 GB = 10^9 bytes.
  it('writes sizes and rates in decimal units', () => {
    const sizes: Array<[number, string]> = [
      [512, '512 B'],
      [999, '999 B'],
      [1000, '1.0 KB'],
      [1500, '1.5 KB'],
      [1_000_000, '1.0 MB'],
      [1_048_576, '1.0 MB'],
      [150_000_000, '150 MB'],
      [2_000_000_000, '2.0 GB'],
      [3_500_000_000_000, '3.5 TB'],
      // Rounding never writes 1000 of a unit, nor 100.0.
      [999_999, '1.0 MB'],
      [99_960, '100 KB'],
    ]
    for (const [n, text] of sizes) expect(formatBytes(n), String(n)).toBe(text)
    expect(formatRate(12_340_000)).toBe('12.3 MB/s')
    expect(formatRate(50 * MB)).toBe('52.4 MB/s')
    expect(formatRate(0)).toBe('–')
  })

  it('writes durations and slow rates', () => {
    // A slow rate of a few bytes is whole bytes, not 33.25947390875924 B/s.
    expect(formatRate(33.25947390875924)).toBe('33 B/s')
    expect(formatDuration(5)).toBe('0:05')
    expect(formatDuration(0.3)).toBe('0:01')
    expect(formatDuration(0)).toBe('0:00')
    expect(formatDuration(65)).toBe('1:05')
    expect(formatDuration(3723)).toBe('1:02:03')
    expect(formatDuration(-1)).toBe('–')
  })
})
