// The job card while a batch runs and once it ended: one file can be cancelled from the
// row of the file in progress (the job goes on), and an error about another folder or
// file names it.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flush, mountApp, q } from './mount'
import { i18n } from '../src/i18n'
import { service, type JobFile, type JobProgress } from '../src/api/contract'

const api = vi.hoisted(() => ({ filesApi: { cancel: vi.fn(), cancelFile: vi.fn() }, keysApi: { describe: vi.fn() } }))
vi.mock('../src/api/backend', async (orig) => ({ ...(await orig<typeof import('../src/api/backend')>()), ...api }))

const { default: JobCard } = await import('../src/components/JobCard.vue')

function progress(over: Partial<JobProgress> = {}): JobProgress {
  return {
    id: 'j1', kind: service.JobKind.Encrypt, state: service.JobState.Running, filesDone: 1, filesTotal: 3, bytesDone: 30, bytesTotal: 100,
    done: 1, failed: 0, skipped: 0, cancelled: 0, bytesPerSec: 0, etaSeconds: -1, startedMs: 0, seconds: 1, ...over,
  }
}
function file(over: Partial<JobFile>): JobFile {
  return { id: 'j1', path: '/in/a.txt', output: '', status: service.FileStatus.Done, errorCode: '', message: '', keyId: '', recoverable: false, subject: '', ...over }
}

beforeEach(() => {
  document.body.replaceChildren()
  vi.clearAllMocks()
  i18n.global.locale.value = 'en'
  api.filesApi.cancelFile.mockResolvedValue(undefined)
})

describe('job card', () => {
  it('cancels the file in progress only, naming it for screen readers', async () => {
    const job = { id: 'j1', kind: service.JobKind.Encrypt, label: 'a, b, c', progress: progress({ current: { path: '/in/big video.mp4', bytesDone: 5, bytesTotal: 50 } }), results: [], summary: null }
    const { w } = mountApp(JobCard, { props: { job } })
    await flush()
    const button = q('[data-testid="job-current"] [data-testid="job-cancel-file"]')
    expect(button.getAttribute('aria-label')).toBe('Cancel big video.mp4')
    button.click()
    await flush()
    expect(api.filesApi.cancelFile).toHaveBeenCalledWith('j1', '/in/big video.mp4')
    expect(api.filesApi.cancel).not.toHaveBeenCalled()
    w.unmount()
  })

  it('names the folder that could not be written and the copy a file was skipped for', async () => {
    const p = progress({ state: service.JobState.Failed, filesDone: 2, filesTotal: 2 })
    const job = {
      id: 'j1', kind: service.JobKind.Encrypt, label: 'x', progress: p,
      results: [
        file({ path: '/in/memo.txt', status: service.FileStatus.Failed, errorCode: 'File.PermissionDenied', subject: '/mnt/readonly' }),
        file({ path: '/in/plan.pdf', status: service.FileStatus.Skipped, errorCode: 'File.UpToDate', subject: '/in/plan.pdf.kmsenc' }),
      ],
      summary: { id: 'j1', kind: service.JobKind.Encrypt, state: service.JobState.Failed, done: 0, failed: 1, skipped: 1, cancelled: 0, bytes: 0, seconds: 1, bytesPerSec: 0, final: p },
    }
    const { w } = mountApp(JobCard, { props: { job } })
    await flush()
    const subjects = [...document.querySelectorAll('[data-testid="job-result-subject"]')].map((e) => e.textContent)
    expect(subjects).toEqual(['Folder: /mnt/readonly', 'Encrypted copy: /in/plan.pdf.kmsenc'])
    const text = w.text()
    expect(text).toContain('Access was denied')
    expect(text).toContain('An up-to-date encrypted copy already exists')
    w.unmount()
  })

  // The title of a finished job says what really happened: the files that came out of
  // all of them, a failure, or a cancellation, never a count of files merely handled.
  const ended = (kind: service.JobKind, state: service.JobState, c: { done?: number; failed?: number; skipped?: number; cancelled?: number }) => {
    const counts = { done: 0, failed: 0, skipped: 0, cancelled: 0, ...c }
    const p = progress({ kind, state })
    return { id: 'j1', kind, label: 'x', progress: p, results: [], summary: { id: 'j1', kind, state, ...counts, bytes: 0, seconds: 1, bytesPerSec: 0, final: p } }
  }
  const K = service.JobKind
  const S = service.JobState
  const cases: Array<[string, ReturnType<typeof ended>, string, string]> = [
    ['all done', ended(K.Encrypt, S.Done, { done: 4 }), 'Encrypted 4 files', '已加密 4 个文件'],
    ['one done', ended(K.Decrypt, S.Done, { done: 1 }), 'Decrypted 1 file', '已解密 1 个文件'],
    ['one of four failed', ended(K.Decrypt, S.Failed, { done: 3, failed: 1 }), 'Decrypted 3 of 4 files', '已解密 3 个文件（共 4 个）'],
    ['one skipped', ended(K.Encrypt, S.Done, { done: 1, skipped: 1 }), 'Encrypted 1 of 2 files', '已加密 1 个文件（共 2 个）'],
    ['the only file failed', ended(K.Decrypt, S.Failed, { failed: 1 }), 'Decryption failed', '解密失败'],
    ['every file failed', ended(K.Verify, S.Failed, { failed: 3 }), 'Verification failed', '校验失败'],
    ['re-wrap failed', ended(K.Rewrap, S.Failed, { failed: 2 }), 'Changing the keys failed', '更换密钥失败'],
    ['the only file cancelled', ended(K.Encrypt, S.Cancelled, { cancelled: 1 }), 'Cancelled — 0 of 1 file encrypted', '已取消 — 已加密 0 个文件（共 1 个）'],
    ['cancelled half way', ended(K.Decrypt, S.Cancelled, { done: 2, cancelled: 3 }), 'Cancelled — 2 of 5 files decrypted', '已取消 — 已解密 2 个文件（共 5 个）'],
    ['one file cancelled, the rest went on', ended(K.Rewrap, S.Done, { done: 2, cancelled: 1 }), 'Changed the keys of 2 of 3 files', '已更换 2 个文件的密钥（共 3 个）'],
  ]
  for (const [name, job, en, zh] of cases) {
    it(`titles a finished job by what happened: ${name}`, async () => {
      const { w } = mountApp(JobCard, { props: { job } })
      await flush()
      expect(w.find('[data-testid="job-title"]').text()).toBe(en)
      i18n.global.locale.value = 'zh-CN'
      await flush()
      expect(w.find('[data-testid="job-title"]').text()).toBe(zh)
      w.unmount()
    })
  }
})
