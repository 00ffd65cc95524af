// A modal asking to confirm something that cannot be undone.
import { useEffect, useRef, type ReactNode } from 'react'

export interface ConfirmDialogProps {
  title: string
  children: ReactNode
  confirmLabel: string
  busy?: boolean
  error?: string
  // data-testid of the confirm button.
  testId?: string
  onConfirm: () => void
  onCancel: () => void
}

export default function ConfirmDialog({ title, children, confirmLabel, busy, error, testId, onConfirm, onCancel }: ConfirmDialogProps) {
  const cancel = useRef<HTMLButtonElement>(null)
  // Focus starts on Cancel, so Enter does not confirm by accident.
  useEffect(() => cancel.current?.focus(), [])
  return (
    <div
      className="modal-backdrop"
      role="dialog"
      aria-modal="true"
      aria-labelledby="confirm-title"
      onKeyDown={(e) => e.key === 'Escape' && onCancel()}
    >
      <div className="modal">
        <h2 id="confirm-title">{title}</h2>
        <div>{children}</div>
        {error && <div className="banner error">{error}</div>}
        <div className="row modal-actions">
          <span className="spacer" />
          <button type="button" ref={cancel} onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="button" className="danger" data-testid={testId} onClick={onConfirm} disabled={busy}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  )
}
