import { createApp } from 'vue'
import { createPinia } from 'pinia'
import {
  Alert, Aside, Button, Checkbox, ConfigProvider, Content, Dialog, Form, FormItem, Header, Input, Layout, Menu, MenuItem,
  Select, Space, TabPanel, Tabs, Table, Tag, Textarea,
} from 'tdesign-vue-next'
import 'tdesign-vue-next/es/style/index.css'
import App from './App.vue'
import { i18n } from './i18n'
import { notifyError } from './notify'

const app = createApp(App)
for (const c of [Alert, Aside, Button, Checkbox, ConfigProvider, Content, Dialog, Form, FormItem, Header, Input, Layout, Menu, MenuItem, Select, Space, TabPanel, Tabs, Table, Tag, Textarea]) {
  app.use(c)
}
app.use(createPinia())
app.use(i18n)
// The global error boundary: nothing fails silently.
app.config.errorHandler = (err) => notifyError(err)
window.addEventListener('unhandledrejection', (e) => notifyError(e.reason))
app.mount('#app')
