// The editor's toolbar: history, layout and view, stats overlay, save.
import { Link } from 'react-router-dom'

export const statsWindows = ['1h', '24h', '7d', '30d'] as const
export type StatsWindow = (typeof statsWindows)[number]

export interface ToolbarProps {
  title: string
  version?: number
  dirty: boolean
  saving: boolean
  checking: boolean
  canUndo: boolean
  canRedo: boolean
  canDelete: boolean
  statsOn: boolean
  statsAvailable: boolean
  statsWindow: StatsWindow
  onUndo: () => void
  onRedo: () => void
  onDelete: () => void
  onLayout: () => void
  onFitView: () => void
  // "Test this change": open the edited flow in the model lab as a draft.
  onTest?: () => void
  onStats: (on: boolean) => void
  onStatsWindow: (w: StatsWindow) => void
  onSave: () => void
  // A read-only key: nothing that changes the flow is enabled.
  readOnly?: boolean
  historyOpen?: boolean
  // Toggles the version history; undefined before the first save.
  onHistory?: () => void
}

export default function Toolbar(p: ToolbarProps) {
  return (
    <div className="editor-toolbar" role="toolbar" aria-label="Flow editor">
      <Link to="/flows" className="muted">
        ← Flows
      </Link>
      <strong className="editor-title">{p.title || 'New flow'}</strong>
      {p.version !== undefined ? (
        <span className="muted small">
          Version <span data-testid="saved-version">{p.version}</span>
        </span>
      ) : (
        <span className="muted small">Not saved yet</span>
      )}
      {p.dirty && <span className="badge warm">Unsaved changes</span>}
      <span className="spacer" />
      <div className="button-group">
        <button type="button" data-testid="undo" onClick={p.onUndo} disabled={!p.canUndo} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button type="button" data-testid="redo" onClick={p.onRedo} disabled={!p.canRedo} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
      </div>
      <button type="button" data-testid="delete-selection" onClick={p.onDelete} disabled={!p.canDelete} title="Delete the selection (Delete)">
        Delete
      </button>
      <div className="button-group">
        <button type="button" data-testid="auto-layout" onClick={p.onLayout} disabled={p.readOnly} title="Arrange the steps left to right">
          Auto-layout
        </button>
        <button type="button" data-testid="fit-view" onClick={p.onFitView} title="Show the whole flow">
          Fit view
        </button>
      </div>
      <div className="button-group stats-controls">
        <label className="inline-check" title={p.statsAvailable ? 'Show run counts on the steps' : 'Save the flow to see its runs'}>
          <input
            type="checkbox"
            data-testid="stats-toggle"
            checked={p.statsOn}
            disabled={!p.statsAvailable}
            onChange={(e) => p.onStats(e.target.checked)}
          />
          Stats
        </label>
        <select
          aria-label="Stats window"
          data-testid="stats-window"
          value={p.statsWindow}
          disabled={!p.statsOn}
          onChange={(e) => p.onStatsWindow(e.target.value as StatsWindow)}
        >
          {statsWindows.map((w) => (
            <option key={w} value={w}>
              last {w}
            </option>
          ))}
        </select>
      </div>
      {p.onTest && (
        <button type="button" data-testid="test-in-lab" onClick={p.onTest} title="Replay history through this version (saved or not) in the model lab">
          Test this change
        </button>
      )}
      {p.checking && <span className="muted small">Checking…</span>}
      <button
        type="button"
        data-testid="history-toggle"
        aria-pressed={!!p.historyOpen}
        onClick={p.onHistory}
        disabled={!p.onHistory}
        title={p.onHistory ? 'Saved versions and what changed between them' : 'Save the flow to start its history'}
      >
        History
      </button>
      <button type="button" className="primary" data-testid="save-flow" onClick={p.onSave} disabled={p.saving || p.readOnly}>
        {p.saving ? 'Saving…' : 'Save'}
      </button>
    </div>
  )
}
