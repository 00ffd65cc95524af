// The draft: the live model with changes. Flows added or replacing a live
// one (each can be opened on the canvas), and live flows removed.
import { Link, useNavigate } from 'react-router-dom'
import type { Flow } from '../../types'
import { canvasPath, dropAdded, setEnabled, stashForCanvas, toggleRemove, type Draft } from './draft'

export interface DraftPanelProps {
  draft: Draft
  live: Flow[] | undefined
  onChange: (d: Draft) => void
}

export default function DraftPanel({ draft, live, onChange }: DraftPanelProps) {
  const navigate = useNavigate()
  const liveIds = new Set((live ?? []).map((f) => f.id))
  const openOnCanvas = (f: Flow) => {
    stashForCanvas(f)
    navigate(canvasPath)
  }
  return (
    <section className="card" data-testid="lab-draft" aria-labelledby="lab-draft-title">
      <h2 id="lab-draft-title">Draft</h2>
      <p className="muted small">
        The live model with these changes. Edit a flow on the canvas and press “Test this change” to bring it here, or let
        Suggest write a draft from history.
      </p>
      {draft.add.length === 0 && draft.remove.length === 0 ? (
        <p className="muted" data-testid="lab-draft-empty">
          No changes yet: a run now compares the live model with itself.
        </p>
      ) : (
        <table className="compact">
          <thead>
            <tr>
              <th>Change</th>
              <th>Flow</th>
              <th>Steps</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {draft.add.map((f) => (
              <tr key={`add:${f.id}`} data-testid={`draft-flow-${f.id}`}>
                <td>
                  {/* Which it is shows once the live flows are known, never a guess. */}
                  {live && <span className="badge">{liveIds.has(f.id) ? 'replaces live' : 'added'}</span>}
                  {!f.enabled && (
                    <span className="badge off" title="A disabled flow scores nothing in the draft either">
                      disabled
                    </span>
                  )}
                </td>
                <td>
                  {f.name || f.id} <span className="muted mono">{f.id}</span>
                </td>
                <td className="num">{f.nodes.length}</td>
                <td className="row">
                  {!f.enabled && (
                    <button type="button" className="link" onClick={() => onChange(setEnabled(draft, f.id, true))}>
                      Enable
                    </button>
                  )}
                  <button type="button" className="link" data-testid={`draft-open-${f.id}`} onClick={() => openOnCanvas(f)}>
                    Open on canvas
                  </button>
                  <button type="button" className="link" onClick={() => onChange(dropAdded(draft, f.id))}>
                    Drop
                  </button>
                </td>
              </tr>
            ))}
            {draft.remove.map((id) => (
              <tr key={`remove:${id}`} data-testid={`draft-removed-${id}`}>
                <td>
                  <span className="badge hot">removed</span>
                </td>
                <td className="mono">{id}</td>
                <td />
                <td>
                  <button type="button" className="link" onClick={() => onChange(toggleRemove(draft, id))}>
                    Keep it
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {live && live.length > 0 && (
        <details className="lab-live">
          <summary>Live flows ({live.length})</summary>
          <ul className="plain">
            {live.map((f) => (
              <li key={f.id} className="row">
                <Link to={`/flows/${encodeURIComponent(f.id)}`}>{f.name || f.id}</Link>
                {!f.enabled && <span className="badge off">disabled</span>}
                <span className="spacer" />
                {!draft.remove.includes(f.id) && (
                  <button type="button" className="link" data-testid={`draft-remove-${f.id}`} onClick={() => onChange(toggleRemove(draft, f.id))}>
                    Remove in draft
                  </button>
                )}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  )
}
