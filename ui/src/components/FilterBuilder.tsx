// FilterBuilder: the visual editor of the filter language (CONTRACT §4),
// used by segments (where), flows (condition.if where, trigger.event where
// in scope "event", audience). The editing lives in ./filter/.
import type { Catalog, Filter } from '../types'
import FilterTree from './filter/FilterTree'

export interface FilterBuilderProps {
  value: Filter | undefined
  onChange: (f: Filter | undefined) => void
  // contact: fields of the contact and behaviour leaves; event: properties of an event.
  scope: 'contact' | 'event'
  // Choices of the pickers. A catalog that also carries `grades: string[]`
  // (names from settings) fills the grade choices.
  catalog?: Catalog
}

export default function FilterBuilder({ value, onChange, scope, catalog }: FilterBuilderProps) {
  return <FilterTree value={value} onChange={onChange} scope={scope} catalog={catalog} />
}
