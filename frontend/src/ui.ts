import type { App } from 'vue'
import {
  Alert, Aside, Button, Checkbox, CheckboxGroup, ConfigProvider, Content, Dialog, Drawer, Form, FormItem, Header, Input, InputNumber, Layout, Loading,
  Progress, Radio, RadioButton, RadioGroup, Select, Space, Switch, TabPanel, Tabs, Table, Tag, TagInput, Textarea,
} from 'tdesign-vue-next'

// The TDesign components the UI uses, registered one by one (tree-shaken build); the
// component tests install the same list, so a missing one fails there too.
export const components = [
  Alert, Aside, Button, Checkbox, CheckboxGroup, ConfigProvider, Content, Dialog, Drawer, Form, FormItem, Header, Input, InputNumber, Layout, Loading,
  Progress, Radio, RadioButton, RadioGroup, Select, Space, Switch, TabPanel, Tabs, Table, Tag, TagInput, Textarea,
]

export function installUI(app: App) {
  for (const c of components) app.use(c)
}
