import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'tdesign-vue-next/es/style/index.css'
import App from './App.vue'
import { i18n } from './i18n'
import { installUI } from './ui'
import { notifyError } from './notify'

const app = createApp(App)
installUI(app)
app.use(createPinia())
app.use(i18n)
// The global error boundary: nothing fails silently.
app.config.errorHandler = (err) => notifyError(err)
window.addEventListener('unhandledrejection', (e) => notifyError(e.reason))
app.mount('#app')
