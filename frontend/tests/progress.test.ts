import { describe, expect, it } from 'vitest'
import { etaSeconds, formatBytes, formatDuration, formatRate, newMeter, percent, read, sample } from '../src/progress'

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

describe('rate meter', () => {
  it('has no rate after one sample', () => {
    const m = sample(newMeter(), 10 * MB, 1000)
    expect(m.bytesPerSec).toBe(0)
    expect(read(m, 10 * MB, 100 * MB).eta).toBe(-1)
  })
  it('takes the first measured rate as is', () => {
    let m = sample(newMeter(), 0, 0)
    m = sample(m, 10 * MB, 1000)
    expect(m.bytesPerSec).toBeCloseTo(10 * MB)
  })
  it('smooths later rates with an exponential moving average', () => {
    let m = sample(newMeter(), 0, 0)
    m = sample(m, 10 * MB, 1000) // 10 MB/s
    m = sample(m, 30 * MB, 2000, 0.25) // 20 MB/s instantaneous
    expect(m.bytesPerSec).toBeCloseTo(0.25 * 20 * MB + 0.75 * 10 * MB) // 12.5 MB/s
  })
  it('converges to a steady rate', () => {
    let m = sample(newMeter(), 0, 0)
    m = sample(m, 1 * MB, 100) // a slow start: 10 MB/s
    for (let i = 2; i <= 60; i++) m = sample(m, 1 * MB + (i - 1) * 5 * MB, i * 100) // then 50 MB/s
    expect(m.bytesPerSec / MB).toBeGreaterThan(49.9)
    expect(m.bytesPerSec / MB).toBeLessThan(50.1)
  })
  it('merges samples closer than 50 ms into the next one', () => {
    let m = sample(newMeter(), 0, 0)
    m = sample(m, 10 * MB, 1000)
    const same = sample(m, 11 * MB, 1020)
    expect(same).toBe(m)
  })
  it('starts over when the counter goes back', () => {
    let m = sample(newMeter(), 0, 0)
    m = sample(m, 50 * MB, 1000)
    m = sample(m, 1 * MB, 1100)
    expect(m.samples).toBe(1)
    expect(m.bytesPerSec).toBe(0)
  })
})

describe('ETA', () => {
  it('is the bytes left over the rate, rounded up', () => {
    expect(etaSeconds(0, 100 * MB, 10 * MB)).toBe(10)
    expect(etaSeconds(95 * MB, 100 * MB, 2 * MB)).toBe(3)
  })
  it('is unknown without a rate or a total, and 0 when finished', () => {
    expect(etaSeconds(0, 100, 0)).toBe(-1)
    expect(etaSeconds(0, 0, 10)).toBe(-1)
    expect(etaSeconds(100, 100, 0)).toBe(0)
  })
  it('uses the backend rate until the meter has its own', () => {
    const m = sample(newMeter(), 0, 0)
    const r = read(m, 20 * MB, 100 * MB, 40 * MB)
    expect(r.bytesPerSec).toBe(40 * MB)
    expect(r.eta).toBe(2)
    expect(r.percent).toBe(20)
  })
  it('prefers the smoothed rate once there is one', () => {
    let m = sample(newMeter(), 0, 0)
    m = sample(m, 10 * MB, 1000)
    const r = read(m, 10 * MB, 100 * MB, 999 * MB)
    expect(r.bytesPerSec).toBeCloseTo(10 * MB)
    expect(r.eta).toBe(9)
  })
})

describe('formatting', () => {
  it('writes sizes, rates and durations', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(2 * 1024 * MB)).toBe('2.0 GB')
    expect(formatBytes(150 * MB)).toBe('150 MB')
    expect(formatRate(12.34 * MB)).toBe('12.3 MB/s')
    expect(formatRate(0)).toBe('–')
    expect(formatDuration(5)).toBe('0:05')
    expect(formatDuration(0.3)).toBe('0:01')
    expect(formatDuration(0)).toBe('0:00')
    expect(formatDuration(65)).toBe('1:05')
    expect(formatDuration(3723)).toBe('1:02:03')
    expect(formatDuration(-1)).toBe('–')
  })
})
