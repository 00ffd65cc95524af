// Placeholder: a JSON text box until the visual filter builder lands (being
// built in this change). Same props as the final component.
import { useState } from 'react'
import type { Catalog, Filter } from '../types'

export interface FilterBuilderProps {
  value: Filter | undefined
  onChange: (f: Filter | undefined) => void
  // contact: fields of the contact and behaviour leaves; event: properties of an event.
  scope: 'contact' | 'event'
  catalog?: Catalog
}

export default function FilterBuilder({ value, onChange }: FilterBuilderProps) {
  const [text, setText] = useState(value ? JSON.stringify(value, null, 2) : '')
  return (
    <textarea
      rows={6}
      value={text}
      onChange={(e) => {
        setText(e.target.value)
        try {
          onChange(e.target.value.trim() ? JSON.parse(e.target.value) : undefined)
        } catch {
          /* keep typing */
        }
      }}
    />
  )
}
