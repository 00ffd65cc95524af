// Settings → Keys (/settings/keys): named API keys with a scope. A new
// key's secret is shown once, in a dialog with a copy button; the list never
// holds secrets (the server keeps only their hashes). Revoking asks first.
import { useState } from 'react'
import { useAccess } from '../access'
import { del, enc, get, post } from '../api'
import ConfirmDialog from '../components/canvas/ConfirmDialog'
import { useAsync } from '../hooks'
import type { ApiKey, CreatedKey, KeyScope } from '../types'
import ErrorBanner from './contacts/ErrorBanner'
import { formatAgo, formatTime } from './contacts/format'
import { SecretDialog } from './keys/SecretDialog'
import { SettingsTabs } from './settings/SettingsTabs'
import './contacts/contacts.css'
import './settings/settings.css'

const scopes: { scope: KeyScope; label: string }[] = [
  { scope: 'read', label: 'read — look at everything, change nothing (BI tools, dashboards)' },
  { scope: 'write', label: 'write — send events only (integrations, trackers)' },
  { scope: 'admin', label: 'admin — everything, keys included' },
]

export default function KeysPage() {
  const { canAdmin, me } = useAccess()
  return (
    <div className="page">
      <h1>Settings</h1>
      <SettingsTabs />
      {me?.open && (
        <div className="banner info" data-testid="keys-open-server">
          This server runs without an admin key, open to anyone on this machine: keys made here take effect once it runs with
          --admin-key.
        </div>
      )}
      {canAdmin ? <Keys /> : <p className="muted">Only an admin key can see and manage keys.</p>}
    </div>
  )
}

function Keys() {
  const list = useAsync(() => get<{ keys: ApiKey[] }>('/api/v1/keys'), [])
  const [created, setCreated] = useState<CreatedKey>()
  const [revoking, setRevoking] = useState<ApiKey>()
  const [revokeError, setRevokeError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const keys = list.data?.keys ?? []

  async function revoke(k: ApiKey) {
    setBusy(true)
    setRevokeError(undefined)
    try {
      await del(`/api/v1/keys/${enc(k.id)}`)
      setRevoking(undefined)
      list.reload()
    } catch (e) {
      setRevokeError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      <CreateKeyForm
        onCreated={(k) => {
          setCreated(k)
          list.reload()
        }}
      />
      <div className="section">
        <h2>Keys</h2>
        <ErrorBanner error={list.error} title="Could not load the keys" />
        {list.loading && !list.data ? (
          <p className="muted">Loading…</p>
        ) : keys.length === 0 ? (
          <p className="muted">No keys yet.</p>
        ) : (
          <table data-testid="keys-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Scope</th>
                <th>Created</th>
                <th>Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id} data-testid={`key-row-${k.name}`}>
                  <td>
                    {k.name}
                    {k.builtin && (
                      <>
                        {' '}
                        <span className="badge" title="Set by a server flag (--admin-key, --write-key): change it there">
                          built-in
                        </span>
                      </>
                    )}
                  </td>
                  <td>
                    <span className={`badge scope-${k.scope}`}>{k.scope}</span>
                  </td>
                  <td title={formatTime(k.created_at)}>{k.created_at ? formatAgo(k.created_at) : '—'}</td>
                  <td title={k.last_used_at ? formatTime(k.last_used_at) : undefined} data-testid="key-last-used">
                    {formatAgo(k.last_used_at)}
                  </td>
                  <td className="num">
                    {!k.builtin && (
                      <button
                        type="button"
                        className="danger"
                        data-testid={`revoke-${k.name}`}
                        onClick={() => {
                          setRevokeError(undefined)
                          setRevoking(k)
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {created && <SecretDialog created={created} onClose={() => setCreated(undefined)} />}
      {revoking && (
        <ConfirmDialog
          title="Revoke this key?"
          confirmLabel="Revoke"
          testId="confirm-revoke"
          busy={busy}
          error={revokeError}
          onConfirm={() => void revoke(revoking)}
          onCancel={() => setRevoking(undefined)}
        >
          <p>
            “{revoking.name}” ({revoking.scope}) stops working at once: whatever uses it gets 401 from its next request.
            This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </>
  )
}

function CreateKeyForm({ onCreated }: { onCreated: (k: CreatedKey) => void }) {
  const [name, setName] = useState('')
  const [scope, setScope] = useState<KeyScope>('read')
  const [error, setError] = useState<Error>()
  const [saving, setSaving] = useState(false)

  async function create() {
    if (!name.trim()) {
      setError(new Error('Give the key a name: who or what will use it.'))
      return
    }
    setSaving(true)
    setError(undefined)
    try {
      const k = await post<CreatedKey>('/api/v1/keys', { name: name.trim(), scope })
      setName('')
      onCreated(k)
    } catch (e) {
      setError(e as Error)
    } finally {
      setSaving(false)
    }
  }

  return (
    <form
      className="card keys-form"
      onSubmit={(e) => {
        e.preventDefault()
        void create()
      }}
      noValidate
    >
      <h2>New key</h2>
      <ErrorBanner error={error} title="Not created" />
      <div className="row">
        <div className="field">
          <label htmlFor="key-name">Name</label>
          <input id="key-name" data-testid="key-name-input" value={name} placeholder="metabase, sales dashboard…" onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="key-scope">Scope</label>
          <select id="key-scope" data-testid="key-scope" value={scope} onChange={(e) => setScope(e.target.value as KeyScope)}>
            {scopes.map((s) => (
              <option key={s.scope} value={s.scope}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <button type="submit" className="primary" data-testid="create-key" disabled={saving}>
        {saving ? 'Creating…' : 'Create key'}
      </button>
    </form>
  )
}
