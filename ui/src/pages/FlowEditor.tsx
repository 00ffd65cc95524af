// /flows/new and /flows/:id: loads the flow, the node types and the picker
// catalog, then hands them to the canvas editor.
import { useCallback, useEffect, useRef, useState } from 'react'
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom'
import { ReactFlowProvider } from '@xyflow/react'
import { ApiError, enc, get } from '../api'
import type { Catalog, Flow, NodeTypeSpec } from '../types'
import FlowCanvasEditor from '../components/canvas/FlowCanvasEditor'
import { editable, emptyFlow } from '../components/canvas/model'
import { withPositions } from '../components/canvas/ops'
import { stashedForCanvas } from './lab/draft'

const emptyCatalog: Catalog = { event_types: [], tags: [], fields: [], scores: [], stages: [], segments: [] }

// loadCatalog tolerates a server without GET /api/v1/catalog (404): the
// pickers then fall back to free text.
async function loadCatalog(): Promise<Catalog> {
  try {
    return { ...emptyCatalog, ...(await get<Partial<Catalog>>('/api/v1/catalog')) }
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return emptyCatalog
    throw e
  }
}

interface Session {
  // Changes whenever another flow is loaded, so the editor starts afresh.
  key: number
  doc: Flow
  version?: number
}

export default function FlowEditor() {
  const { id } = useParams()
  const [search] = useSearchParams()
  const navigate = useNavigate()
  const [specs, setSpecs] = useState<NodeTypeSpec[]>()
  const [catalog, setCatalog] = useState<Catalog>()
  const [session, setSession] = useState<Session>()
  const [error, setError] = useState<{ message: string; notFound?: boolean }>()
  // After the first save of a new flow the URL moves to its id; the editor
  // already holds that flow, so it stays (with its undo history).
  const created = useRef<string | undefined>(undefined)
  const keys = useRef(0)

  useEffect(() => {
    get<{ node_types: NodeTypeSpec[] }>('/api/v1/node-types').then(
      (r) => setSpecs(r.node_types ?? []),
      (e: Error) => setError({ message: `Could not load the node types: ${e.message}` }),
    )
    loadCatalog().then(setCatalog, () => setCatalog(emptyCatalog))
  }, [])

  useEffect(() => {
    if (id !== undefined && id === created.current) {
      created.current = undefined
      return
    }
    setError(undefined)
    if (id === undefined) {
      // /flows/new?from=lab: a flow of the lab's draft (a suggested one has
      // no positions), not saved yet.
      const fromLab = search.get('from') === 'lab' ? stashedForCanvas() : undefined
      setSession({ key: ++keys.current, doc: fromLab ? withPositions(editable(fromLab)) : emptyFlow() })
      return
    }
    setSession(undefined)
    let stale = false
    get<Flow>(`/api/v1/flows/${enc(id)}`).then(
      (f) => !stale && setSession({ key: ++keys.current, doc: withPositions(editable(f)), version: f.version }),
      (e: Error) => !stale && setError({ message: e.message, notFound: e instanceof ApiError && e.status === 404 }),
    )
    return () => {
      stale = true
    }
  }, [id])

  const onCreated = useCallback(
    (saved: Flow) => {
      created.current = saved.id
      navigate(`/flows/${encodeURIComponent(saved.id)}`, { replace: true })
    },
    [navigate],
  )

  if (error) {
    return (
      <div className="page">
        <h1>{error.notFound ? 'No such flow' : 'Flow editor'}</h1>
        <div className="banner error" role="alert">
          {error.notFound ? `There is no flow “${id}”. It may have been deleted.` : error.message}
        </div>
        <Link to="/flows">Back to the flows</Link>
      </div>
    )
  }
  // The catalog only fills pickers: the editor does not wait for it.
  if (!specs || !session) {
    return (
      <div className="page">
        <p className="muted">Loading…</p>
      </div>
    )
  }
  return (
    <ReactFlowProvider key={session.key}>
      <FlowCanvasEditor
        initial={session.doc}
        version={session.version}
        specs={specs}
        catalog={catalog}
        focusNode={search.get('node') ?? undefined}
        historyVersion={Number(search.get('history')) || undefined}
        onCreated={onCreated}
      />
    </ReactFlowProvider>
  )
}
