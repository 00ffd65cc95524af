// An input of the settings form with its error messages beside it. The
// messages come from the API or the client checks, keyed by the input's path.
import type { InputHTMLAttributes } from 'react'
import { errorId, type ErrorIndex } from './errors'

interface Props extends Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value'> {
  path: string
  label: string
  value: string
  errors: ErrorIndex
  onChange: (value: string) => void
}

export function Field({ path, label, value, errors, onChange, className, ...rest }: Props) {
  const messages = errors.get(path)
  return (
    <div className={`settings-field ${className ?? ''}`}>
      <input
        {...rest}
        aria-label={label}
        aria-invalid={messages ? true : undefined}
        aria-describedby={messages ? errorId(path) : undefined}
        data-path={path}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      {messages && <FieldMessages path={path} messages={messages} />}
    </div>
  )
}

export function FieldMessages({ path, messages }: { path: string; messages: string[] }) {
  return (
    <div className="field-error" id={errorId(path)} data-testid="field-error" data-path={path}>
      {messages.join('; ')}
    </div>
  )
}
