import { useEffect, useState } from 'react'
import { NavLink, Route, Routes } from 'react-router-dom'
import { onAuthNeeded, setAdminKey } from './api'
import { ReadOnlyNote, refreshAccess, useAccess } from './access'
import { lazyModule } from './lazyModule'
import Dashboard from './pages/Dashboard'
import FlowList from './pages/FlowList'
import ContactList from './pages/ContactList'
import ContactPage from './pages/ContactPage'
import SegmentList from './pages/SegmentList'
import SegmentEditor from './pages/SegmentEditor'
import ScoringMatrix from './pages/ScoringMatrix'
import SettingsPage from './pages/SettingsPage'
import NotFound from './pages/NotFound'
import AuditPage from './pages/AuditPage'
import KeysPage from './pages/KeysPage'
import ClusterPage from './pages/ClusterPage'
import AccountList from './pages/AccountList'
import AccountPage from './pages/AccountPage'

// The canvas (React Flow, dagre: a quarter of the app's code) is its own
// chunk, so other pages start faster (see lazyModule for why not
// React.lazy). After the first page is up, the chunk is fetched in the
// background, so opening the editor from the app does not wait at all.
const editor = lazyModule(() => import('./pages/FlowEditor'))
// The lab draws its charts with recharts, which the other pages load on
// demand too: it is its own chunk.
const lab = lazyModule(() => import('./pages/LabPage'))

const nav = [
  ['/', 'Dashboard'],
  ['/flows', 'Flows'],
  ['/contacts', 'Contacts'],
  ['/accounts', 'Accounts'],
  ['/segments', 'Segments'],
  ['/scoring', 'Scoring matrix'],
  ['/lab', 'Lab'],
  ['/settings', 'Settings'],
  ['/audit', 'Audit'],
] as const

// Nav entries only an admin key sees (Keys is a tab of Settings).
// The lab's runs are POSTs, which a read key may not send.
const adminOnly = new Set<string>(['/audit', '/lab'])

export default function App() {
  const [needKey, setNeedKey] = useState(false)
  // A change of key remounts the pages so they load again with it.
  const [keyEpoch, setKeyEpoch] = useState(0)
  useEffect(() => onAuthNeeded((needed) => setNeedKey(needed)), [])
  // Who the key is decides what the pages offer (read-only keys).
  useEffect(() => void refreshAccess(), [keyEpoch])
  const { canAdmin, settled } = useAccess()
  useEffect(() => {
    const t = setTimeout(() => void editor.preload().catch(() => {}), 1500)
    return () => clearTimeout(t)
  }, [])
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Scoreflow</span>
        <nav>
          {nav.filter(([to]) => canAdmin || !adminOnly.has(to)).map(([to, label]) => (
            <NavLink key={to} to={to} end={to === '/'}>
              {label}
            </NavLink>
          ))}
        </nav>
        <span className="spacer" />
        <ReadOnlyNote />
        <KeyName />
      </header>
      {needKey && (
        <KeyPrompt
          onSave={(k) => {
            setAdminKey(k)
            setNeedKey(false)
            setKeyEpoch((e) => e + 1)
          }}
        />
      )}
      <main className="content" key={keyEpoch} hidden={!settled}>
        <Routes>
          <Route path="/" element={<Dashboard />} />
          <Route path="/flows" element={<FlowList />} />
          <Route path="/flows/new" element={<Editor />} />
          <Route path="/flows/:id" element={<Editor />} />
          <Route path="/contacts" element={<ContactList />} />
          <Route path="/contacts/:id" element={<ContactPage />} />
          <Route path="/accounts" element={<AccountList />} />
          <Route path="/accounts/:id" element={<AccountPage />} />
          <Route path="/segments" element={<SegmentList />} />
          <Route path="/segments/new" element={<SegmentEditor />} />
          <Route path="/segments/:id" element={<SegmentEditor />} />
          <Route path="/scoring" element={<ScoringMatrix />} />
          <Route path="/lab" element={<Lab />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="/settings/keys" element={<KeysPage />} />
          <Route path="/settings/cluster" element={<ClusterPage />} />
          <Route path="/audit" element={<AuditPage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </div>
  )
}

function Editor() {
  const { mod, failed } = editor.use()
  if (failed) return <div className="page banner error">The editor could not be loaded — reload the page.</div>
  return mod ? <mod.default /> : <div className="page muted">Loading the editor…</div>
}

function Lab() {
  const { mod, failed } = lab.use()
  if (failed) return <div className="page banner error">The lab could not be loaded — reload the page.</div>
  return mod ? <mod.default /> : <div className="page muted">Loading the lab…</div>
}

// KeyPrompt asks for the admin key when the server answers 401. The key is
// kept in sessionStorage: for this browser tab's session only.
function KeyPrompt({ onSave }: { onSave: (key: string) => void }) {
  const [key, setKey] = useState('')
  return (
    <div className="modal-backdrop" role="dialog" aria-modal="true" aria-labelledby="key-title">
      <form
        className="modal"
        onSubmit={(e) => {
          e.preventDefault()
          if (key.trim()) onSave(key.trim())
        }}
      >
        <h2 id="key-title">API key</h2>
        <p>This server requires a key: its admin key or one made under Settings → Keys. It is kept for this browser session only.</p>
        <input type="password" autoFocus aria-label="API key" value={key} onChange={(e) => setKey(e.target.value)} />
        <div className="row">
          <button type="submit" className="primary">
            Unlock
          </button>
        </div>
      </form>
    </div>
  )
}

// KeyName shows which key the tab uses, when the server names it.
function KeyName() {
  const { me } = useAccess()
  if (!me || me.open || !me.name) return null
  return (
    <span className="topbar-key" data-testid="key-name">
      {me.name} · {me.scope}
    </span>
  )
}
