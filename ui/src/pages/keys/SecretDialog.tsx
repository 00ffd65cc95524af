// The one time a key's secret is shown: right after it was created. The
// secret lives only in this dialog's props; closing it forgets it.
import { useEffect, useRef, useState } from 'react'
import type { CreatedKey } from '../../types'

type Copy = 'idle' | 'copied' | 'failed'

export function SecretDialog({ created, onClose }: { created: CreatedKey; onClose: () => void }) {
  const [copy, setCopy] = useState<Copy>('idle')
  const field = useRef<HTMLInputElement>(null)
  useEffect(() => field.current?.select(), [])

  async function copyKey() {
    try {
      await navigator.clipboard.writeText(created.key)
      setCopy('copied')
    } catch {
      // No clipboard (plain http on another host, or denied): the key is
      // selected, so Ctrl+C still works.
      field.current?.select()
      setCopy('failed')
    }
  }

  return (
    <div className="modal-backdrop" role="dialog" aria-modal="true" aria-labelledby="secret-title" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div className="modal secret-modal">
        <h2 id="secret-title">Key “{created.name}” created</h2>
        <p>
          Scope <strong>{created.scope}</strong>. Use it as <span className="mono">Authorization: Bearer &lt;key&gt;</span>.
        </p>
        <div className="banner warn-note" data-testid="secret-once">
          Copy the key now: <strong>you won't see it again</strong>. Scoreflow keeps only a hash of it; a lost key can only be revoked and
          replaced.
        </div>
        <input ref={field} className="mono" readOnly aria-label="The new key" data-testid="new-key-secret" value={created.key} onFocus={(e) => e.target.select()} />
        <div className="row modal-actions">
          <button type="button" className="primary" data-testid="copy-key" onClick={() => void copyKey()}>
            Copy key
          </button>
          {copy === 'copied' && (
            <span className="settings-saved" role="status">
              Copied.
            </span>
          )}
          {copy === 'failed' && (
            <span className="field-error" role="status">
              Could not copy: the key is selected, press Ctrl+C.
            </span>
          )}
          <span className="spacer" />
          <button type="button" data-testid="secret-done" onClick={onClose}>
            I have copied it
          </button>
        </div>
      </div>
    </div>
  )
}
