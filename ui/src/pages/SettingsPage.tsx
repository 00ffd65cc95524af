// Settings (/settings): score dimensions, grades and the deal pipeline,
// saved together with PUT /api/v1/settings. Client checks catch the obvious
// mistakes; the server's 400 details are shown next to the inputs they name.
import { useMemo, useState } from 'react'
import { EditFieldset, EditOnly } from '../access'
import { ApiError, get, put } from '../api'
import { useAsync } from '../hooks'
import type { FieldError, Settings } from '../types'
import { checkDraft, fromSettings, toSettings, type SettingsDraft } from './settings/draft'
import { indexErrors, inputPaths, unplaced } from './settings/errors'
import { GradesEditor } from './settings/GradesEditor'
import { PipelineEditor } from './settings/PipelineEditor'
import { ScoresEditor } from './settings/ScoresEditor'
import { SettingsTabs } from './settings/SettingsTabs'
import './settings/settings.css'

export default function SettingsPage() {
  const { data, error, loading } = useAsync(() => get<Settings>('/api/v1/settings'), [])
  return (
    <div className="page">
      <h1>Settings</h1>
      <SettingsTabs />
      {error && <div className="banner error">Could not load the settings: {error.message}</div>}
      {loading && !data && <p className="muted">Loading…</p>}
      {data && <SettingsForm initial={data} />}
    </div>
  )
}

interface Failure { message: string; details: FieldError[] }

function SettingsForm({ initial }: { initial: Settings }) {
  const [draft, setDraft] = useState<SettingsDraft>(() => fromSettings(initial))
  const [failure, setFailure] = useState<Failure>()
  const [saving, setSaving] = useState(false)
  const [saved, setSaved] = useState(false)

  const errors = useMemo(() => indexErrors(failure?.details ?? []), [failure])
  const loose = useMemo(
    () => unplaced(failure?.details ?? [], inputPaths(draft.scores, draft.grades.length, draft.pipeline.length)),
    [failure, draft],
  )

  // update applies an edit. An edited input drops its own errors (and those
  // under it); adding, removing or moving rows shifts every index after it,
  // so then all field errors go.
  function update<K extends 'scores' | 'grades' | 'pipeline'>(key: K) {
    return (next: SettingsDraft[K], path?: string) => {
      setDraft((d) => ({ ...d, [key]: next }))
      setSaved(false)
      setFailure((f) => {
        if (!f) return f
        if (path === undefined) return undefined
        const details = f.details.filter((e) => e.path !== path && !e.path.startsWith(path + '.'))
        return details.length ? { ...f, details } : undefined
      })
    }
  }

  async function save() {
    setSaved(false)
    const problems = checkDraft(draft)
    if (problems.length) {
      setFailure({ message: 'Fix the marked fields before saving.', details: problems })
      return
    }
    setSaving(true)
    setFailure(undefined)
    try {
      // The server answers with what it stored (grades sorted by min).
      const stored = await put<Settings>('/api/v1/settings', toSettings(draft))
      setDraft(fromSettings(stored ?? toSettings(draft)))
      setSaved(true)
    } catch (e) {
      const err = e as Error
      setFailure({ message: err.message, details: e instanceof ApiError ? e.details : [] })
    } finally {
      setSaving(false)
    }
  }

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        void save()
      }}
      noValidate
    >
      <EditFieldset>
        <ScoresEditor value={draft.scores} errors={errors} onChange={update('scores')} />
        <GradesEditor value={draft.grades} errors={errors} onChange={update('grades')} />
        <PipelineEditor value={draft.pipeline} errors={errors} onChange={update('pipeline')} />
      </EditFieldset>
      <EditOnly>
        <div className="settings-savebar">
          {failure && (
            <div className="banner error settings-error" role="alert" data-testid="settings-error">
              {failure.message}
              {loose.length > 0 && (
                <ul>
                  {loose.map((d, i) => (
                    <li key={i}>{d.path ? `${d.path}: ${d.message}` : d.message}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <div className="row">
            <button type="submit" className="primary" disabled={saving} data-testid="settings-save">
              {saving ? 'Saving…' : 'Save settings'}
            </button>
            <button
              type="button"
              disabled={saving}
              onClick={() => {
                setDraft(fromSettings(draft.orig))
                setFailure(undefined)
                setSaved(false)
              }}
            >
              Discard changes
            </button>
            {saved && (
              <span className="settings-saved" role="status" data-testid="settings-saved">
                Settings saved.
              </span>
            )}
          </div>
        </div>
      </EditOnly>
    </form>
  )
}
