// The main open-source components KMS Desk is built on, with their licenses (About box).
// Names and SPDX identifiers are proper names, the same in every language.
export const LICENSES: { name: string; license: string }[] = [
  { name: 'Wails', license: 'MIT' },
  { name: 'tencentcloud-sdk-go', license: 'Apache-2.0' },
  { name: 'TDesign Vue Next', license: 'MIT' },
  { name: 'Vue', license: 'MIT' },
  { name: 'Pinia', license: 'MIT' },
  { name: 'vue-i18n', license: 'MIT' },
  { name: 'go-keyring', license: 'MIT' },
  { name: 'bbolt', license: 'MIT' },
  { name: 'gmsm', license: 'MIT' },
]
