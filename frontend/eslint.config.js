import js from '@eslint/js'
import pluginVue from 'eslint-plugin-vue'
import tseslint from 'typescript-eslint'
import vueParser from 'vue-eslint-parser'

export default [
  { ignores: ['dist/**', 'node_modules/**', 'wailsjs/**', 'e2e/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module' } },
  },
  {
    rules: {
      // TypeScript checks undefined names itself (vue-tsc), with the DOM types.
      'no-undef': 'off',
      // Cloud and user strings are rendered as text only.
      'vue/no-v-html': 'error',
      'vue/no-v-text-v-html-on-component': 'error',
      'no-restricted-properties': ['error', { object: 'document', property: 'write' }],
      'no-restricted-syntax': ['error', { selector: "AssignmentExpression[left.property.name='innerHTML']", message: 'Render strings as text, never as HTML.' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Layering: views, components and dialogs work through the Pinia stores; only the
    // stores call the backend (src/api). Types of the contract may still be imported.
    files: ['src/App.vue', 'src/views/**', 'src/components/**', 'src/dialogs/**', 'src/composables/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/api/backend', '**/api/events', '**/api/runtime'],
              allowTypeImports: true,
              message: 'Call the backend through a store (src/stores); only stores import src/api.',
            },
          ],
        },
      ],
    },
  },
]
