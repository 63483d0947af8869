import { computed } from 'vue'
import { useI18n } from 'vue-i18n'
import { service } from '../api/contract'

// The choices of what to do when an output exists, for Files and Settings alike: the
// values of the contract's generated enum, the GUI's default (keep both) first, the
// rest in the contract's order; the labels come from the locale files.
const CHOICES = [service.Overwrite.Rename, ...Object.values(service.Overwrite).filter((o) => o !== service.Overwrite.Rename)]

export function useOverwriteOptions() {
  const { t } = useI18n()
  return computed(() => CHOICES.map((o) => ({ label: t(`files.overwrite.${o}`), value: o })))
}
