// Banners above the canvas: the flow's problems, a refused save, and the
// conflict of a stale version.
import type { Flow } from '../../types'
import type { Issues } from './issues'

export function IssuesBanner({ issues, doc, onSelect }: { issues: Issues; doc: Flow; onSelect: (id: string) => void }) {
  // Nodes are listed in document order so the banner does not jump around.
  const nodeIds = doc.nodes.map((n) => n.id).filter((id) => issues.nodes[id])
  if (issues.flow.length === 0 && nodeIds.length === 0) return null
  return (
    <div className="banner error flow-errors" data-testid="flow-errors" role="status">
      <strong>This flow cannot be saved yet:</strong>
      <ul>
        {issues.flow.map((f, i) => (
          <li key={i}>{f.text}</li>
        ))}
        {nodeIds.length > 0 && (
          <li>
            {nodeIds.length === 1 ? 'A step needs attention: ' : 'Some steps need attention: '}
            {nodeIds.map((id) => (
              <button type="button" className="link mono" key={id} onClick={() => onSelect(id)}>
                {id}
              </button>
            ))}
          </li>
        )}
      </ul>
    </div>
  )
}

export function ConflictBanner({ version, onReload, onOverwrite, busy }: { version?: number; onReload: () => void; onOverwrite: () => void; busy: boolean }) {
  return (
    <div className="banner error" data-testid="save-conflict" role="alert">
      This flow was changed elsewhere{version !== undefined ? ` (now version ${version})` : ''}. Reload to see it, or save again to
      overwrite.
      <span className="row banner-actions">
        <button type="button" data-testid="conflict-reload" onClick={onReload} disabled={busy}>
          Reload
        </button>
        <button type="button" className="danger" data-testid="conflict-overwrite" onClick={onOverwrite} disabled={busy}>
          Overwrite
        </button>
      </span>
    </div>
  )
}

export function ErrorBanner({ message, testId }: { message: string; testId?: string }) {
  return (
    <div className="banner error" data-testid={testId} role="alert">
      {message}
    </div>
  )
}
