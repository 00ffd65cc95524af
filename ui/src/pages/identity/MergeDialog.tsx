// The contact page's merge action: name the contacts to merge into this
// one, confirm, and the server merges them (their events, history, tags
// and attributes become this contact's; their ids resolve here forever).
import { useState } from 'react'
import './identity.css'
import { enc, post } from '../../api'
import type { Contact } from '../../types'

export function mergeIds(text: string, into: string): string[] {
  const ids = text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean)
  return [...new Set(ids)].filter((id) => id !== into)
}

export default function MergeDialog({ into, onClose, onMerged }: { into: string; onClose: () => void; onMerged: (c: Contact) => void }) {
  const [text, setText] = useState('')
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const ids = mergeIds(text, into)

  const merge = async () => {
    setBusy(true)
    setError('')
    try {
      onMerged(await post<Contact>(`/api/v1/contacts/${enc(into)}/merge`, { from: ids }))
    } catch (e) {
      setError((e as Error).message)
      setConfirming(false)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="modal-backdrop" role="dialog" aria-modal="true" aria-labelledby="merge-title">
      <div className="modal">
        <h3 id="merge-title">Merge contacts into {into}</h3>
        {!confirming ? (
          <>
            <label htmlFor="merge-ids">Contact ids to merge (comma or space separated)</label>
            <input id="merge-ids" data-testid="merge-ids" value={text} onChange={(e) => setText(e.target.value)} placeholder="anon-123, lead@old.test" />
          </>
        ) : (
          <p data-testid="merge-confirm-text">
            Merge {ids.join(', ')} into {into}? Their events, score history, tags and attributes move here, scores add up, and
            their ids will lead to this contact. This cannot be undone.
          </p>
        )}
        {error && (
          <p className="banner error" data-testid="merge-error">
            {error}
          </p>
        )}
        <div className="row modal-actions">
          <span className="spacer" />
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          {!confirming ? (
            <button type="button" className="primary" data-testid="merge-next" disabled={ids.length === 0} onClick={() => setConfirming(true)}>
              Merge…
            </button>
          ) : (
            <button type="button" className="danger" data-testid="merge-confirm" disabled={busy} onClick={merge}>
              Merge {ids.length} into {into}
            </button>
          )}
        </div>
      </div>
    </div>
  )
}
