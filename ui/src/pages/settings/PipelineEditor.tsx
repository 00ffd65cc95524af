// The deal pipeline: an ordered list of stages to add, rename, remove and
// move up or down.
import { useState } from 'react'
import { move, newId, type StageDraft } from './draft'
import type { ErrorIndex } from './errors'
import { Field } from './Field'

interface Props {
  value: StageDraft[]
  errors: ErrorIndex
  onChange: (next: StageDraft[], path?: string) => void
}

export function PipelineEditor({ value, errors, onChange }: Props) {
  const [added, setAdded] = useState('')
  const add = () => {
    if (!added.trim()) return
    onChange([...value, { id: newId(), name: added.trim() }])
    setAdded('')
  }
  return (
    <section className="card settings-section" aria-labelledby="pipeline-title">
      <h2 id="pipeline-title">Deal pipeline</h2>
      <p className="muted small">The stages a deal moves through, in order. “Change deal stage” actions pick from these.</p>
      <ol className="settings-stages" data-testid="settings-pipeline">
        {value.map((s, i) => {
          const label = s.name || `stage ${i + 1}`
          return (
            <li key={s.id} data-testid="settings-stage" className="row">
              <Field path={`pipeline[${i}]`} label={`Stage ${i + 1}`} value={s.name} errors={errors}
                onChange={(v) => onChange(value.map((x, j) => (j === i ? { ...x, name: v } : x)), `pipeline[${i}]`)} />
              <button type="button" aria-label={`Move ${label} up`} disabled={i === 0}
                onClick={() => onChange(move(value, i, -1))}>
                ↑
              </button>
              <button type="button" aria-label={`Move ${label} down`} disabled={i === value.length - 1}
                onClick={() => onChange(move(value, i, 1))}>
                ↓
              </button>
              <button type="button" className="danger" aria-label={`Remove ${label}`}
                onClick={() => onChange(value.filter((_, j) => j !== i))}>
                Remove
              </button>
            </li>
          )
        })}
      </ol>
      {value.length === 0 && <p className="muted">No stages — add the first one.</p>}
      <div className="row">
        <input
          aria-label="New stage"
          placeholder="New stage, such as demo"
          value={added}
          onChange={(e) => setAdded(e.target.value)}
          onKeyDown={(e) => {
            // Enter adds the stage instead of submitting the whole form.
            if (e.key === 'Enter') {
              e.preventDefault()
              add()
            }
          }}
        />
        <button type="button" onClick={add} disabled={!added.trim()}>
          Add stage
        </button>
      </div>
    </section>
  )
}
