import { useState } from 'react'

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

// useTextFor keeps the text of an input that edits a non-text value (a
// number, a list), so half-typed text ("1.", "a, ") is not rewritten under
// the cursor. When the value changes from elsewhere, the text follows it.
export function useTextFor(
  value: unknown,
  format: (v: unknown) => string,
  parse: (text: string) => unknown,
): [string, (text: string) => unknown] {
  const [state, setState] = useState(() => ({ text: format(value), value }))
  let text = state.text
  if (!same(state.value, value)) {
    if (!same(parse(state.text), value)) text = format(value)
    setState({ text, value })
  }
  const onText = (t: string) => {
    const v = parse(t)
    setState({ text: t, value: v })
    return v
  }
  return [text, onText]
}
