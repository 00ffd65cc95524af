// Keyboard shortcuts of the editor. Pure mapping from a key event to a
// command, so it is testable without a browser.

export type Command = 'undo' | 'redo' | 'copy' | 'paste' | 'delete' | 'save'

export interface KeyLike {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  shiftKey: boolean
  altKey: boolean
}

// commandFor maps Ctrl (⌘ on a Mac) + Z / Shift+Z / Y / C / V / S, Delete
// and Backspace. typing is true when the focus is in a text control, where
// the browser's own undo, copy, paste and deletion must keep working; only
// save is taken there.
export function commandFor(e: KeyLike, typing: boolean): Command | undefined {
  const mod = e.ctrlKey || e.metaKey
  const k = e.key.toLowerCase()
  if (mod && !e.altKey && k === 's') return 'save'
  if (typing) return undefined
  if (mod && !e.altKey) {
    if (k === 'z') return e.shiftKey ? 'redo' : 'undo'
    if (k === 'y') return 'redo'
    if (k === 'c' && !e.shiftKey) return 'copy'
    if (k === 'v' && !e.shiftKey) return 'paste'
    return undefined
  }
  if (!e.altKey && (e.key === 'Delete' || e.key === 'Backspace')) return 'delete'
  return undefined
}

// isTyping tells whether a key event's target takes text.
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true
  if (target instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(target.type)
  }
  return false
}
