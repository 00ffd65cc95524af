// Suggest: weights learned from history for one score dimension, shown as a
// feature table, and "Open as draft" to run them.
import { useState } from 'react'
import { ApiError, post } from '../../api'
import type { Catalog } from '../../types'
import { formatAUC } from './charts'
import type { Outcome, Suggestion } from './types'

export interface SuggestPanelProps {
  catalog: Catalog | undefined
  score: string
  onScore: (s: string) => void
  // The outcome and window of the setup, or what is wrong with it.
  request: () => { outcome: Outcome; from: string; to: string } | { error: string }
  onOpenAsDraft: (s: Suggestion) => void
}

const flowCount = (n: number) => (n === 1 ? '1 flow' : `${n} flows`)

export default function SuggestPanel({ catalog, score, onScore, request, onOpenAsDraft }: SuggestPanelProps) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const [suggestion, setSuggestion] = useState<Suggestion>()
  const scores = catalog?.scores?.length ? catalog.scores : ['engagement']

  const suggest = async () => {
    const r = request()
    if ('error' in r) {
      setError(r.error)
      return
    }
    setBusy(true)
    setError(undefined)
    try {
      setSuggestion(await post<Suggestion>('/api/v1/lab/suggest', { ...r, score }))
    } catch (e) {
      setSuggestion(undefined)
      // too_little_history says how much more history is needed: shown as it is.
      setError(e instanceof ApiError ? e.message : `Could not suggest: ${(e as Error).message}`)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" data-testid="lab-suggest" aria-labelledby="lab-suggest-title">
      <h2 id="lab-suggest-title">Suggest</h2>
      <p className="muted small">Learns which behaviours predict the outcome in this window and turns them into points.</p>
      <div className="row">
        <label htmlFor="lab-score" className="inline-label">
          Points go to
        </label>
        <select id="lab-score" data-testid="suggest-score" value={score} onChange={(e) => onScore(e.target.value)}>
          {(scores.includes(score) ? scores : [score, ...scores]).map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <button type="button" data-testid="suggest" onClick={() => void suggest()} disabled={busy}>
          {busy ? 'Learning…' : 'Suggest'}
        </button>
      </div>
      {error && (
        <div className="banner error" role="alert" data-testid="suggest-error">
          {error}
        </div>
      )}
      {suggestion && (
        <div data-testid="suggestion">
          <p>
            AUC on the training part <strong data-testid="suggest-auc">{formatAUC(suggestion.auc)}</strong>, on the held-out part{' '}
            <strong data-testid="suggest-holdout-auc">{formatAUC(suggestion.holdout_auc)}</strong>.
          </p>
          {suggestion.features.length === 0 ? (
            <p className="muted">No behaviour predicts the outcome well enough to score it.</p>
          ) : (
            <table className="compact">
              <thead>
                <tr>
                  <th>Feature</th>
                  <th className="num">Weight</th>
                  <th className="num">Points</th>
                </tr>
              </thead>
              <tbody>
                {suggestion.features.map((f) => (
                  <tr key={f.feature} data-testid="feature-row">
                    <td className="mono">{f.feature}</td>
                    <td className="num">{f.weight.toFixed(3)}</td>
                    <td className={`num ${f.points > 0 ? 'pos' : f.points < 0 ? 'neg' : ''}`}>{f.points > 0 ? `+${f.points}` : f.points}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="row">
            <button
              type="button"
              className="primary"
              data-testid="open-as-draft"
              disabled={(suggestion.model?.add ?? []).length === 0}
              onClick={() => onOpenAsDraft(suggestion)}
            >
              Open as draft
            </button>
            <span className="muted small">{flowCount((suggestion.model?.add ?? []).length)}; the current draft is replaced.</span>
          </div>
        </div>
      )}
    </section>
  )
}
