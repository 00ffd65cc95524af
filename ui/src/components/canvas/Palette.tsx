// The palette of node types, grouped by kind, with a search box. Items are
// dragged onto the canvas (HTML5 drag and drop), or added at the centre of
// the view by double-click or Enter.
import { useState } from 'react'
import type { NodeTypeSpec } from '../../types'
import { dragMime, kindLabels, kinds } from './model'

export interface PaletteProps {
  specs: NodeTypeSpec[]
  onAdd: (type: string) => void
}

export function matches(s: NodeTypeSpec, query: string): boolean {
  const q = query.trim().toLowerCase()
  if (!q) return true
  return [s.title, s.type, s.description].some((t) => t.toLowerCase().includes(q))
}

export default function Palette({ specs, onAdd }: PaletteProps) {
  const [query, setQuery] = useState('')
  const shown = specs.filter((s) => matches(s, query))
  return (
    <aside className="palette" aria-label="Node types">
      <input
        type="search"
        className="palette-search"
        data-testid="palette-search"
        aria-label="Search node types"
        placeholder="Search steps…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {kinds.map((kind) => {
        const items = shown.filter((s) => s.kind === kind)
        if (items.length === 0) return null
        return (
          <section key={kind} className="palette-group">
            <h3>{kindLabels[kind]}</h3>
            <ul>
              {items.map((s) => (
                <li
                  key={s.type}
                  className={`palette-item kind-${kind}`}
                  data-testid={`palette-item-${s.type}`}
                  draggable
                  tabIndex={0}
                  role="button"
                  title={`${s.description}\n\nDrag onto the canvas, or double-click to add.`}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(dragMime, s.type)
                    e.dataTransfer.effectAllowed = 'move'
                  }}
                  onDoubleClick={() => onAdd(s.type)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' || e.key === ' ') {
                      e.preventDefault()
                      onAdd(s.type)
                    }
                  }}
                >
                  {s.title}
                </li>
              ))}
            </ul>
          </section>
        )
      })}
      {shown.length === 0 && <p className="muted small">No step matches “{query}”.</p>}
    </aside>
  )
}
