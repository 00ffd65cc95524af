// Score dimensions: name, bounds (empty = unbounded) and optional decay.
import { newDimension, type DimensionDraft } from './draft'
import type { ErrorIndex } from './errors'
import { Field } from './Field'

interface Props {
  value: DimensionDraft[]
  errors: ErrorIndex
  // path names the edited input; none means rows were added or removed.
  onChange: (next: DimensionDraft[], path?: string) => void
}

export function ScoresEditor({ value, errors, onChange }: Props) {
  const edit = (i: number, patch: Partial<DimensionDraft>, path?: string) =>
    onChange(value.map((d, j) => (j === i ? { ...d, ...patch } : d)), path)
  return (
    <section className="card settings-section" aria-labelledby="scores-title">
      <h2 id="scores-title">Score dimensions</h2>
      <p className="muted small">
        A contact's score is the sum of its dimensions. Leave min or max empty for no bound. Decay takes a percentage
        of a dimension away at a fixed interval, so old interest fades. Accounts says how a company's score on the
        dimension derives from its contacts'.
      </p>
      <table className="settings-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Min</th>
            <th>Max</th>
            <th>Decay</th>
            <th title="How an account's score on this dimension derives from its contacts'">Accounts</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {value.map((d, i) => {
            const p = `scores[${i}]`
            const n = i + 1
            return (
              <tr key={d.id} data-testid="settings-score">
                <td>
                  <Field path={`${p}.name`} label={`Dimension ${n} name`} value={d.name} errors={errors}
                    onChange={(v) => edit(i, { name: v }, `${p}.name`)} />
                </td>
                <td>
                  <Field path={`${p}.min`} label={`Dimension ${n} min`} value={d.min} errors={errors} inputMode="numeric"
                    placeholder="no min" className="settings-num" onChange={(v) => edit(i, { min: v }, `${p}.min`)} />
                </td>
                <td>
                  <Field path={`${p}.max`} label={`Dimension ${n} max`} value={d.max} errors={errors} inputMode="numeric"
                    placeholder="no max" className="settings-num" onChange={(v) => edit(i, { max: v }, `${p}.max`)} />
                </td>
                <td>
                  <div className="row settings-decay">
                    <label className="settings-check">
                      <input
                        type="checkbox"
                        checked={d.decay}
                        aria-label={`Dimension ${n} decays`}
                        onChange={(e) =>
                          // Turning decay on offers a common policy to edit rather than empty boxes.
                          edit(i, e.target.checked && !d.every && !d.percent
                            ? { decay: true, every: '30d', percent: '25' }
                            : { decay: e.target.checked }, `${p}.decay`)
                        }
                      />
                      {d.decay ? 'every' : 'none'}
                    </label>
                    {d.decay && (
                      <>
                        <Field path={`${p}.decay.every`} label={`Dimension ${n} decay every`} value={d.every} errors={errors}
                          placeholder="30d" className="settings-num" onChange={(v) => edit(i, { every: v }, `${p}.decay.every`)} />
                        <span>by</span>
                        <Field path={`${p}.decay.percent`} label={`Dimension ${n} decay percent`} value={d.percent} errors={errors}
                          inputMode="decimal" placeholder="25" className="settings-pct"
                          onChange={(v) => edit(i, { percent: v }, `${p}.decay.percent`)} />
                        <span>%</span>
                      </>
                    )}
                  </div>
                </td>
                <td>
                  <select
                    aria-label={`Dimension ${n} for accounts`}
                    data-testid="settings-account-mode"
                    value={d.account}
                    onChange={(e) => edit(i, { account: e.target.value as DimensionDraft['account'] }, `account_scores.${d.name}`)}
                  >
                    <option value="sum">sum of contacts</option>
                    <option value="max">max of contacts</option>
                    <option value="avg">average of contacts</option>
                  </select>
                </td>
                <td className="settings-actions">
                  <button type="button" className="danger" aria-label={`Remove dimension ${d.name || n}`}
                    onClick={() => onChange(value.filter((_, j) => j !== i))}>
                    Remove
                  </button>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
      <button type="button" onClick={() => onChange([...value, newDimension()])}>
        Add dimension
      </button>
    </section>
  )
}
