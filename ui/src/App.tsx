import { useEffect, useState } from 'react'
import { NavLink, Route, Routes } from 'react-router-dom'
import { onAuthNeeded, setAdminKey } from './api'
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
import AccountList from './pages/AccountList'
import AccountPage from './pages/AccountPage'

// The canvas (React Flow, dagre: a quarter of the app's code) is its own
// chunk, so other pages start faster (see lazyModule for why not
// React.lazy). After the first page is up, the chunk is fetched in the
// background, so opening the editor from the app does not wait at all.
const editor = lazyModule(() => import('./pages/FlowEditor'))

const nav = [
  ['/', 'Dashboard'],
  ['/flows', 'Flows'],
  ['/contacts', 'Contacts'],
  ['/accounts', 'Accounts'],
  ['/segments', 'Segments'],
  ['/scoring', 'Scoring matrix'],
  ['/settings', 'Settings'],
] as const

export default function App() {
  const [needKey, setNeedKey] = useState(false)
  // A change of key remounts the pages so they load again with it.
  const [keyEpoch, setKeyEpoch] = useState(0)
  useEffect(() => onAuthNeeded((needed) => setNeedKey(needed)), [])
  useEffect(() => {
    const t = setTimeout(() => void editor.preload().catch(() => {}), 1500)
    return () => clearTimeout(t)
  }, [])
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Scoreflow</span>
        <nav>
          {nav.map(([to, label]) => (
            <NavLink key={to} to={to} end={to === '/'}>
              {label}
            </NavLink>
          ))}
        </nav>
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
      <main className="content" key={keyEpoch}>
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
          <Route path="/settings" element={<SettingsPage />} />
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
        <h2 id="key-title">Admin key</h2>
        <p>This server requires its admin key. It is kept for this browser session only.</p>
        <input type="password" autoFocus aria-label="Admin key" value={key} onChange={(e) => setKey(e.target.value)} />
        <div className="row">
          <button type="submit" className="primary">
            Unlock
          </button>
        </div>
      </form>
    </div>
  )
}
