// ErrorBanner shows an API error (CONTRACT §6): its message and, when the
// server named them, the fields at fault.
import { ApiError } from '../../api'

export default function ErrorBanner({ error, title }: { error: Error | undefined; title?: string }) {
  if (!error) return null
  const details = error instanceof ApiError ? error.details : []
  return (
    <div className="banner error" role="alert">
      {title && <strong>{title}: </strong>}
      {error.message}
      {details.length > 0 && (
        <ul className="error-details">
          {details.map((d, i) => (
            <li key={i}>
              {d.path && <code>{d.path}</code>} {d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
