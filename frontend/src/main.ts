import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'tdesign-vue-next/es/style/index.css'
import './focus.css'
import App from './App.vue'
import { i18n } from './i18n'
import { installUI } from './ui'
import { notifyError } from './notify'
import { mark } from './startup'

mark('bundle evaluated') // the imports above ran first

const app = createApp(App)
installUI(app)
app.use(createPinia())
app.use(i18n)
// The global error boundary: nothing fails silently.
app.config.errorHandler = (err) => notifyError(err)
window.addEventListener('unhandledrejection', (e) => notifyError(e.reason))
// A file dropped on a webview is opened by it (it navigates away from the app) unless
// the drop is cancelled. The Wails runtime cancels it only once its listeners are
// registered and its flags are set, so cancel every drag from the very first moment;
// the paths still reach Go through the native drop handler.
for (const type of ['dragenter', 'dragover', 'drop'] as const) {
  window.addEventListener(type, (e) => e.preventDefault(), true)
}
app.mount('#app')
