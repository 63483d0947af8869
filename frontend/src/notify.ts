import { MessagePlugin, NotifyPlugin } from 'tdesign-vue-next'
import { i18n, type Locale } from './i18n'
import { errorText } from './i18n/errors'

// notifyError shows a translated backend error with its hint (never a raw Go string).
export function notifyError(err: unknown) {
  const text = errorText(err, i18n.global.locale.value as Locale)
  void NotifyPlugin.error({ title: text.title, content: `${text.hint} (${text.code})`, duration: 8000, closeBtn: true })
}

export function notifyOk(message: string) {
  void MessagePlugin.success({ content: message, duration: 2500 })
}

// attempt runs an action whose failure the user should see as a notification (no form to
// show it in); it never rejects: a failed action answers undefined.
export async function attempt<T>(action: () => Promise<T>): Promise<T | undefined> {
  try {
    return await action()
  } catch (e) {
    notifyError(e)
    return undefined
  }
}
