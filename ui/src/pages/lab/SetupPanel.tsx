// What converting means (an event, or a contact filter) and the window of
// history to replay.
import FilterBuilder from '../../components/FilterBuilder'
import type { Catalog } from '../../types'
import type { Setup } from './draft'

export interface SetupPanelProps {
  setup: Setup
  catalog: Catalog | undefined
  onChange: (s: Setup) => void
}

export default function SetupPanel({ setup, catalog, onChange }: SetupPanelProps) {
  const set = (patch: Partial<Setup>) => onChange({ ...setup, ...patch })
  return (
    <section className="card" data-testid="lab-setup" aria-labelledby="lab-setup-title">
      <h2 id="lab-setup-title">Outcome and window</h2>
      <fieldset className="lab-outcome">
        <legend>A contact converted when…</legend>
        <label className="inline-check">
          <input type="radio" name="outcome-kind" data-testid="outcome-event" checked={setup.kind === 'event'} onChange={() => set({ kind: 'event' })} />
          it sent an event
        </label>
        <label className="inline-check">
          <input type="radio" name="outcome-kind" data-testid="outcome-where" checked={setup.kind === 'where'} onChange={() => set({ kind: 'where' })} />
          it matches a filter
        </label>
      </fieldset>
      {setup.kind === 'event' ? (
        <div className="field">
          <label htmlFor="lab-event">Event</label>
          <input
            id="lab-event"
            data-testid="outcome-event-name"
            list="lab-event-types"
            placeholder="Deal won"
            value={setup.event}
            onChange={(e) => set({ event: e.target.value })}
          />
          <datalist id="lab-event-types">
            {(catalog?.event_types ?? []).map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </div>
      ) : (
        <div className="field" data-testid="outcome-filter">
          <FilterBuilder value={setup.where} onChange={(where) => set({ where })} scope="contact" catalog={catalog} />
        </div>
      )}
      <div className="row lab-window">
        <div className="field">
          <label htmlFor="lab-horizon">Horizon</label>
          <input id="lab-horizon" data-testid="outcome-horizon" size={6} value={setup.horizon} onChange={(e) => set({ horizon: e.target.value })} />
          <div className="help">converts within this long of being scored</div>
        </div>
        <div className="field">
          <label htmlFor="lab-from">From</label>
          <input id="lab-from" type="datetime-local" data-testid="window-from" value={setup.from} onChange={(e) => set({ from: e.target.value })} />
          <div className="help">empty: 90 days before the end</div>
        </div>
        <div className="field">
          <label htmlFor="lab-to">To</label>
          <input id="lab-to" type="datetime-local" data-testid="window-to" value={setup.to} onChange={(e) => set({ to: e.target.value })} />
          <div className="help">empty: now</div>
        </div>
      </div>
    </section>
  )
}
