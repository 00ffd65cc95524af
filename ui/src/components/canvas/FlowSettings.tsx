// Flow-level settings, shown in the side panel when nothing is selected:
// name, id (editable until the first save), description, enabled, entry
// mode, disqualified contacts and the audience filter.
import type { Catalog, Entry, Flow } from '../../types'
import FilterBuilder from '../FilterBuilder'
import { durationProblem } from '../SpecForm'

export interface FlowSettingsProps {
  doc: Flow
  // Settings field → message ("name", "id", "entry.max", "audience" …).
  errors: Record<string, string>
  catalog?: Catalog
  // The id can be chosen only before the first save.
  idEditable: boolean
  onChange: (patch: Partial<Flow>, field: string) => void
  onIdChange: (id: string) => void
}

function Err({ field, errors, own }: { field: string; errors: Record<string, string>; own?: string }) {
  const msg = errors[field] ?? own
  return msg ? (
    <div className="field-error" data-testid={`settings-error-${field}`}>
      {msg}
    </div>
  ) : null
}

export default function FlowSettings({ doc, errors, catalog, idEditable, onChange, onIdChange }: FlowSettingsProps) {
  const entry = doc.entry ?? { mode: 'every_time' }
  const setEntry = (e: Entry, field: string) => onChange({ entry: e }, field)
  return (
    <div className="flow-settings">
      <h2>Flow settings</h2>
      <div className="field">
        <label htmlFor="flow-name">Name</label>
        <input
          id="flow-name"
          data-testid="flow-name"
          type="text"
          value={doc.name}
          aria-invalid={!!errors.name || undefined}
          onChange={(e) => onChange({ name: e.target.value }, 'name')}
        />
        <Err field="name" errors={errors} />
      </div>
      <div className="field">
        <label htmlFor="flow-id">Id</label>
        <input
          id="flow-id"
          data-testid="flow-id"
          type="text"
          className="mono"
          value={doc.id}
          readOnly={!idEditable}
          aria-invalid={!!errors.id || undefined}
          aria-describedby="flow-id-help"
          onChange={(e) => onIdChange(e.target.value)}
        />
        <div className="help" id="flow-id-help">
          {idEditable ? 'Made from the name until you change it; fixed once saved.' : 'The id of a saved flow cannot change.'}
        </div>
        <Err field="id" errors={errors} />
      </div>
      <div className="field">
        <label htmlFor="flow-description">Description</label>
        <textarea
          id="flow-description"
          data-testid="flow-description"
          rows={3}
          value={doc.description ?? ''}
          onChange={(e) => onChange({ description: e.target.value || undefined }, 'description')}
        />
      </div>
      <div className="field check">
        <input
          id="flow-enabled"
          data-testid="flow-enabled"
          type="checkbox"
          checked={doc.enabled}
          onChange={(e) => onChange({ enabled: e.target.checked }, 'enabled')}
        />
        <label htmlFor="flow-enabled">Enabled</label>
      </div>
      <div className="field">
        <label htmlFor="flow-entry-mode">Entry</label>
        <select
          id="flow-entry-mode"
          data-testid="flow-entry-mode"
          value={entry.mode}
          onChange={(e) => {
            const mode = e.target.value as Entry['mode']
            // The backend refuses max and window outside mode limited.
            setEntry(mode === 'limited' ? { mode, max: entry.max ?? 1, window: entry.window ?? '30d' } : { mode }, 'entry.mode')
          }}
        >
          <option value="every_time">Every time the trigger fires</option>
          <option value="once">Once per contact, ever</option>
          <option value="limited">A limited number of times per window</option>
        </select>
        <Err field="entry.mode" errors={errors} />
      </div>
      {entry.mode === 'limited' && (
        <div className="row entry-limits">
          <div className="field">
            <label htmlFor="flow-entry-max">Max entries</label>
            <input
              id="flow-entry-max"
          data-testid="flow-entry-max"
              type="number"
              min={1}
              step={1}
              value={entry.max ?? ''}
              onChange={(e) => {
                const n = e.target.value === '' ? undefined : Math.trunc(Number(e.target.value))
                setEntry({ ...entry, max: Number.isFinite(n) ? n : undefined }, 'entry.max')
              }}
            />
            <Err field="entry.max" errors={errors} />
          </div>
          <div className="field">
            <label htmlFor="flow-entry-window">Per window</label>
            <input
              id="flow-entry-window"
          data-testid="flow-entry-window"
              type="text"
              placeholder="30d"
              value={entry.window ?? ''}
              onChange={(e) => setEntry({ ...entry, window: e.target.value.trim() || undefined }, 'entry.window')}
            />
            <Err field="entry.window" errors={errors} own={durationProblem(entry.window ?? '')} />
          </div>
        </div>
      )}
      <div className="field check">
        <input
          id="flow-include-disqualified"
          data-testid="flow-include-disqualified"
          type="checkbox"
          checked={doc.include_disqualified ?? false}
          onChange={(e) => onChange({ include_disqualified: e.target.checked || undefined }, 'include_disqualified')}
        />
        <label htmlFor="flow-include-disqualified">Include disqualified contacts</label>
      </div>
      <div className="field">
        <label id="flow-audience-label">Audience</label>
        <div role="group" aria-labelledby="flow-audience-label" aria-describedby="flow-audience-help">
          <FilterBuilder value={doc.audience} onChange={(f) => onChange({ audience: f }, 'audience')} scope="contact" catalog={catalog} />
        </div>
        <div className="help" id="flow-audience-help">
          Only contacts matching this filter enter the flow. Leave empty for everyone.
        </div>
        <Err field="audience" errors={errors} />
      </div>
    </div>
  )
}
