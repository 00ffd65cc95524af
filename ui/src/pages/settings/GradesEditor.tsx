// Grades: a name and the total score from which it applies. The first grade
// is the lowest; its min may stay empty (no lower bound).
import { newGrade, type GradeDraft } from './draft'
import type { ErrorIndex } from './errors'
import { Field } from './Field'

interface Props {
  value: GradeDraft[]
  errors: ErrorIndex
  onChange: (next: GradeDraft[], path?: string) => void
}

export function GradesEditor({ value, errors, onChange }: Props) {
  const edit = (i: number, patch: Partial<GradeDraft>, path: string) =>
    onChange(value.map((g, j) => (j === i ? { ...g, ...patch } : g)), path)
  return (
    <section className="card settings-section" aria-labelledby="grades-title">
      <h2 id="grades-title">Grades</h2>
      <p className="muted small">
        A contact has the grade with the highest min at or below its total score. The server keeps grades sorted by min.
      </p>
      <table className="settings-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>From score</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {value.map((g, i) => {
            const p = `grades[${i}]`
            const n = i + 1
            return (
              <tr key={g.id} data-testid="settings-grade">
                <td>
                  <Field path={`${p}.name`} label={`Grade ${n} name`} value={g.name} errors={errors}
                    onChange={(v) => edit(i, { name: v }, `${p}.name`)} />
                </td>
                <td>
                  <Field path={`${p}.min`} label={`Grade ${n} min`} value={g.min} errors={errors} inputMode="numeric"
                    placeholder={i === 0 ? 'lowest' : 'required'} className="settings-num"
                    onChange={(v) => edit(i, { min: v }, `${p}.min`)} />
                </td>
                <td className="settings-actions">
                  <button type="button" className="danger" aria-label={`Remove grade ${g.name || n}`}
                    onClick={() => onChange(value.filter((_, j) => j !== i))}>
                    Remove
                  </button>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <button type="button" onClick={() => onChange([...value, newGrade()])}>
        Add grade
      </button>
    </section>
  )
}
