// FilterTree holds the editable tree of one filter and keeps it in step with
// the JSON value it is given: edits are emitted as canonical JSON, and a
// value that changes from outside (loading, undo, another editor) is parsed
// afresh. FilterBuilder is its public face; behaviour conditions nest one
// (nested) for their property filter.
import { useState } from 'react'
import type { Filter } from '../../types'
import { FilterContext } from './context'
import type { FilterCatalog } from './fields'
import GroupEditor from './GroupEditor'
import { fromFilter, toFilter, type FilterNode, type GroupNode, type Scope } from './model'
import './filter.css'

export interface FilterTreeProps {
  value: Filter | undefined
  onChange: (f: Filter | undefined) => void
  scope: Scope
  catalog?: FilterCatalog
  nested?: boolean
}

const keyOf = (scope: Scope, v: unknown) => scope + ':' + JSON.stringify(v ?? null)

export default function FilterTree({ value, onChange, scope, catalog, nested }: FilterTreeProps) {
  const key = keyOf(scope, value)
  // key is the JSON the tree stands for: when the value given differs, it
  // came from outside and the tree is rebuilt from it.
  const [state, setState] = useState(() => ({ root: fromFilter(value, scope), key }))
  let root = state.root
  if (state.key !== key) {
    root = fromFilter(value, scope)
    setState({ root, key })
  }
  const change = (next: FilterNode) => {
    const nextRoot = next as GroupNode // the root editor only ever emits its group
    const f = toFilter(nextRoot)
    setState({ root: nextRoot, key: keyOf(scope, f) })
    onChange(f)
  }
  const prefix = nested ? 'filter-where' : 'filter'
  return (
    <FilterContext.Provider value={{ scope, catalog, prefix }}>
      <div className={'fb' + (nested ? ' fb-nested' : '')} data-testid={nested ? 'filter-where' : 'filter-builder'}>
        <GroupEditor node={root} onChange={change} />
      </div>
    </FilterContext.Provider>
  )
}
