import { createContext, useContext } from 'react'
import type { FilterCatalog } from './fields'
import type { Scope } from './model'

export interface FilterContextValue {
  scope: Scope
  catalog?: FilterCatalog
  // Prefix of the data-testids of this builder's own add buttons: "filter"
  // for a top-level builder, "filter-where" for a behaviour's property
  // filter, so Playwright can tell the two apart.
  prefix: string
}

export const FilterContext = createContext<FilterContextValue>({ scope: 'contact', prefix: 'filter' })

export const useFilterContext = () => useContext(FilterContext)
