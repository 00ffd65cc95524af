// The flow editor: palette, canvas and side panel around one flow document
// with undo history, inline validation, saving, and the stats overlay.
// Must be rendered inside a ReactFlowProvider.
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react'
import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type Edge,
  type NodeTypes,
} from '@xyflow/react'
import { useNavigate } from 'react-router-dom'
import '@xyflow/react/dist/style.css'
import './canvas.css'
import { useAccess } from '../../access'
import { ApiError, enc, get, post, put } from '../../api'
import type { Catalog, Flow, FlowStats, NodeStats, NodeTypeSpec, Position } from '../../types'
import { labPath, testOnLab } from '../../pages/lab/draft'
import { ConflictBanner, ErrorBanner, IssuesBanner } from './Banners'
import { copySelection, pasteClip, setClipboard, takeClipboard } from './clipboard'
import { connectionProblem, toFlowEdge } from './connect'
import { toCanvasEdges, toCanvasNodes, type CanvasEdge, type CanvasNode } from './convert'
import FlowNodeView from './FlowNodeView'
import { commandFor, isTyping, type Command } from './keys'
import { autoLayout } from './layout'
import { apiBody, defaultNodeSize, dragMime, editable, findNode, indexSpecs, kindOf, slugify } from './model'
import { addEdge, addNode, moveNodes, removeElements, setNodeConfig, withPositions } from './ops'
import Palette from './Palette'
import SidePanel from './SidePanel'
import Toolbar, { type StatsWindow } from './Toolbar'
import { useEditorState } from './useEditorState'
import { useValidation } from './useValidation'
import VersionHistory from './VersionHistory'

const nodeTypes: NodeTypes = { flow: FlowNodeView }

const pasteStep = 40
const multiSelectKeys = ['Shift', 'Meta', 'Control']

const same = (a: Flow, b: Flow) => JSON.stringify(apiBody(a)) === JSON.stringify(apiBody(b))

export interface FlowCanvasEditorProps {
  initial: Flow
  // The saved version; undefined for a flow not saved yet.
  version?: number
  specs: NodeTypeSpec[]
  catalog?: Catalog
  // ?node=<id>: select this node and centre on it once drawn.
  focusNode?: string
  // Called after the first save of a new flow, with the saved flow.
  onCreated: (saved: Flow) => void
  // ?history=<version>: open the version history comparing it with the one before.
  historyVersion?: number
}

export default function FlowCanvasEditor({ initial, version: loadedVersion, specs, catalog, focusNode, onCreated, historyVersion }: FlowCanvasEditorProps) {
  // A read-only key may look, select and compare versions, not change.
  const readOnly = !useAccess().canEdit
  const [historyOpen, setHistoryOpen] = useState(historyVersion !== undefined)
  const ed = useEditorState(initial)
  const { doc } = ed
  const specIndex = useMemo(() => indexSpecs(specs), [specs])
  const rf = useReactFlow<CanvasNode, CanvasEdge>()
  const wrapper = useRef<HTMLDivElement>(null)

  const [version, setVersion] = useState(loadedVersion)
  const [saved, setSaved] = useState(initial)
  const [idTouched, setIdTouched] = useState(initial.id !== '')
  const [saving, setSaving] = useState(false)
  const [saveError, setSaveError] = useState<string>()
  // A save refused for a stale version, with the version saved meanwhile.
  const [conflict, setConflict] = useState<{ version?: number }>()
  const inFlight = useRef(false)
  const isNew = version === undefined
  const dirty = !same(doc, saved)

  const validation = useValidation(doc, apiBody, undefined, !readOnly)
  const { issues } = validation

  // Stats overlay.
  const [statsOn, setStatsOn] = useState(false)
  const [statsWindow, setStatsWindow] = useState<StatsWindow>('24h')
  const [stats, setStats] = useState<Record<string, NodeStats>>()
  const [statsError, setStatsError] = useState<string>()
  const savedId = isNew ? undefined : saved.id
  useEffect(() => {
    if (!statsOn || !savedId) {
      setStats(undefined)
      return
    }
    let stale = false
    get<FlowStats>(`/api/v1/flows/${enc(savedId)}/stats?window=${statsWindow}`).then(
      (r) => {
        if (stale) return
        setStats(r.nodes ?? {})
        setStatsError(undefined)
      },
      (e: Error) => !stale && setStatsError(`Could not load run counts: ${e.message}`),
    )
    return () => {
      stale = true
    }
  }, [statsOn, statsWindow, savedId, version])
  const shownStats = useMemo(() => {
    if (!stats) return undefined
    const zero: NodeStats = { entered: 0, completed: 0, failed: 0 }
    return Object.fromEntries(doc.nodes.map((n) => [n.id, stats[n.id] ?? zero]))
  }, [stats, doc.nodes])

  const nodes = useMemo(
    () => toCanvasNodes(doc, { specs: specIndex, selectedNodes: ed.selectedNodes, measured: ed.measured, issues, stats: shownStats }),
    [doc, specIndex, ed.selectedNodes, ed.measured, issues, shownStats],
  )
  const edges = useMemo(
    () =>
      toCanvasEdges(doc, { selectedEdges: ed.selectedEdges, issues }).map((e) => ({
        ...e,
        markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 },
      })),
    [doc, ed.selectedEdges, issues],
  )

  // --- adding, connecting, deleting ---

  const sizeOf = useCallback((id: string) => ed.measured[id] ?? defaultNodeSize, [ed.measured])

  const addAt = useCallback(
    (type: string, centre: Position) => {
      if (readOnly) return
      let p = { x: centre.x - defaultNodeSize.width / 2, y: centre.y - defaultNodeSize.height / 2 }
      // Do not drop a node exactly onto another one.
      while (doc.nodes.some((n) => n.position && Math.abs(n.position.x - p.x) < 10 && Math.abs(n.position.y - p.y) < 10)) {
        p = { x: p.x + 30, y: p.y + 30 }
      }
      const r = addNode(doc, type, p)
      ed.commit(r.doc)
      ed.select([r.id])
    },
    [doc, ed, readOnly],
  )

  const addAtCentre = useCallback(
    (type: string) => {
      const box = wrapper.current?.getBoundingClientRect()
      const centre = box ? rf.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 }) : { x: 0, y: 0 }
      addAt(type, centre)
    },
    [rf, addAt],
  )

  const onDragOver = (e: DragEvent) => {
    if (e.dataTransfer.types.includes(dragMime)) {
      e.preventDefault()
      e.dataTransfer.dropEffect = 'move'
    }
  }
  const onDrop = (e: DragEvent) => {
    const type = e.dataTransfer.getData(dragMime)
    if (!type || !specIndex.has(type)) return
    e.preventDefault()
    addAt(type, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }))
  }

  const isValidConnection = useCallback((c: Connection | Edge) => connectionProblem(doc, specIndex, c) === null, [doc, specIndex])
  const onConnect = useCallback(
    (c: Connection) => {
      if (readOnly || connectionProblem(doc, specIndex, c) !== null) return
      ed.commit(addEdge(doc, toFlowEdge(c)))
    },
    [doc, specIndex, ed, readOnly],
  )

  const remove = useCallback(() => {
    const next = removeElements(doc, ed.selectedNodes, ed.selectedEdges)
    if (next === doc) return
    ed.commit(next)
    ed.select([])
  }, [doc, ed])

  const copy = useCallback(() => {
    const clip = copySelection(doc, ed.selectedNodes)
    if (clip) setClipboard(clip)
  }, [doc, ed.selectedNodes])

  const paste = useCallback(() => {
    const taken = takeClipboard()
    if (!taken) return
    const off = pasteStep * taken.count
    const r = pasteClip(doc, taken.clip, { x: off, y: off })
    ed.commit(r.doc)
    ed.select(r.ids)
  }, [doc, ed])

  const layout = useCallback(() => {
    const positions = autoLayout(doc.nodes, doc.edges, sizeOf)
    ed.commit(moveNodes(doc, positions))
    // Fit once the canvas has the new positions.
    requestAnimationFrame(() => rf.fitView({ padding: 0.2, maxZoom: 1.2, duration: 300 }))
  }, [doc, ed, sizeOf, rf])

  const fitView = useCallback(() => rf.fitView({ padding: 0.2, maxZoom: 1.2, duration: 300 }), [rf])

  // "Test this change": the document as edited, saved or not, becomes (or
  // replaces, by id) a flow of the lab's draft.
  const navigate = useNavigate()
  const testInLab = useCallback(() => {
    testOnLab(apiBody(doc))
    navigate(labPath)
  }, [doc, navigate])

  // --- side panel ---

  const onConfig = useCallback((id: string, cfg: Record<string, unknown>) => ed.commit(setNodeConfig(doc, id, cfg), { key: `config:${id}` }), [doc, ed])
  const onSettings = useCallback(
    (patch: Partial<Flow>, field: string) => {
      const next = { ...doc, ...patch }
      // A new flow's id follows its name until the user sets one.
      if (field === 'name' && isNew && !idTouched) next.id = slugify(next.name)
      ed.commit(next, { key: `settings:${field}` })
    },
    [doc, ed, isNew, idTouched],
  )
  const onIdChange = useCallback(
    (id: string) => {
      setIdTouched(id !== '')
      ed.commit({ ...doc, id }, { key: 'settings:id' })
    },
    [doc, ed],
  )

  // --- saving ---

  const save = useCallback(
    async (overwrite?: number) => {
      // Ctrl+S while a save is under way must not send a second one.
      if (inFlight.current) return
      inFlight.current = true
      setSaving(true)
      setSaveError(undefined)
      const sent = doc
      try {
        const out: Flow = isNew
          ? await post<Flow>('/api/v1/flows', apiBody(sent))
          : await put<Flow>(`/api/v1/flows/${enc(sent.id)}`, { ...apiBody(sent), version: overwrite ?? version })
        setVersion(out.version)
        setSaved(sent)
        setConflict(undefined)
        if (isNew) onCreated(out)
      } catch (e) {
        const err = e as Error
        if (err instanceof ApiError && err.status === 409 && !isNew) {
          // The 409's details name the current version ("the current
          // version is N"); ask for the flow when they do not.
          const named = err.details.find((d) => d.path === 'version')?.message.match(/\d+/)
          const current = named
            ? Number(named[0])
            : (await get<Flow>(`/api/v1/flows/${enc(sent.id)}`).catch(() => undefined))?.version
          setConflict({ version: current })
        } else if (err instanceof ApiError && err.status === 409) {
          setSaveError(`A flow with the id “${sent.id}” already exists. Change the id in the flow settings and save again.`)
        } else if (err instanceof ApiError && err.status === 400) {
          validation.show(sent, err.details)
          setSaveError(`Not saved: ${err.message}`)
        } else {
          setSaveError(`Not saved: ${err.message}`)
        }
      } finally {
        inFlight.current = false
        setSaving(false)
      }
    },
    [doc, isNew, version, onCreated, validation],
  )

  // reloadRemote replaces the local document with the saved one, fetched
  // afresh: it may have changed again since the conflict.
  const reloadRemote = useCallback(async () => {
    setSaving(true)
    try {
      const remote = await get<Flow>(`/api/v1/flows/${enc(doc.id)}`)
      const next = withPositions(editable(remote))
      // Recorded, so Undo brings the local edits back.
      ed.commit(next)
      ed.select([])
      setSaved(next)
      setVersion(remote.version)
      setConflict(undefined)
      setSaveError(undefined)
    } catch (e) {
      setSaveError(`Could not reload the flow: ${(e as Error).message}`)
    } finally {
      setSaving(false)
    }
  }, [doc.id, ed])

  // Leaving the page with unsaved changes asks first.
  useEffect(() => {
    if (!dirty) return
    const warn = (e: BeforeUnloadEvent) => e.preventDefault()
    window.addEventListener('beforeunload', warn)
    return () => window.removeEventListener('beforeunload', warn)
  }, [dirty])

  // --- keyboard ---

  // The listener is added once and reads the latest handlers from here.
  const commands = useRef<Record<Command, () => void>>(null!)
  useEffect(() => {
    const none = () => {}
    commands.current = readOnly
      ? { undo: none, redo: none, copy, paste: none, delete: none, save: none }
      : { undo: ed.undo, redo: ed.redo, copy, paste, delete: remove, save: () => void save() }
  })
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const cmd = commandFor(e, isTyping(e.target))
      if (!cmd) return
      const target = e.target as Node | null
      const onCanvas = target === document.body || (!!target && !!wrapper.current?.contains(target))
      // Delete acts on the canvas only: a focused checkbox or button in the
      // side panel must not delete the node being edited.
      if (cmd === 'delete' && !onCanvas) return
      // Copying selected text of the page stays the browser's.
      if (cmd === 'copy' && (window.getSelection()?.toString() ?? '') !== '') return
      e.preventDefault()
      commands.current[cmd]()
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])

  // --- first view: fit the flow, or centre on ?node= ---

  const initialized = useNodesInitialized()
  // A flow that starts empty has nothing to fit: later nodes keep the view.
  const focused = useRef<string | null>(initial.nodes.length === 0 && !focusNode ? '' : null)
  useEffect(() => {
    if (!initialized) return
    const target = focusNode ?? ''
    if (focused.current === target) return
    focused.current = target
    const n = focusNode ? findNode(doc, focusNode) : undefined
    if (n) {
      ed.select([n.id])
      const s = sizeOf(n.id)
      const p = n.position ?? { x: 0, y: 0 }
      rf.setCenter(p.x + s.width / 2, p.y + s.height / 2, { zoom: 1.1, duration: 300 })
    } else {
      rf.fitView({ padding: 0.2, maxZoom: 1.2 })
    }
  }, [initialized, focusNode, doc, ed, sizeOf, rf])

  const selectNode = useCallback(
    (id: string) => {
      ed.select([id])
      const n = findNode(doc, id)
      if (!n?.position) return
      const s = sizeOf(id)
      rf.setCenter(n.position.x + s.width / 2, n.position.y + s.height / 2, { zoom: rf.getZoom(), duration: 300 })
    },
    [doc, ed, sizeOf, rf],
  )

  return (
    <div className="flow-editor">
      <Toolbar
        title={doc.name}
        version={version}
        dirty={dirty}
        saving={saving}
        checking={validation.checking}
        canUndo={!readOnly && ed.canUndo}
        canRedo={!readOnly && ed.canRedo}
        canDelete={!readOnly && ed.selectedNodes.size + ed.selectedEdges.size > 0}
        readOnly={readOnly}
        historyOpen={historyOpen}
        onHistory={isNew ? undefined : () => setHistoryOpen((o) => !o)}
        statsOn={statsOn}
        statsAvailable={!isNew}
        statsWindow={statsWindow}
        onUndo={ed.undo}
        onRedo={ed.redo}
        onDelete={remove}
        onLayout={layout}
        onFitView={fitView}
        onStats={setStatsOn}
        onStatsWindow={setStatsWindow}
        onSave={() => void save()}
        onTest={readOnly ? undefined : testInLab}
      />
      <div className="editor-banners">
        {conflict && <ConflictBanner version={conflict.version} busy={saving} onReload={() => void reloadRemote()} onOverwrite={() => void save(conflict.version)} />}
        {saveError && <ErrorBanner message={saveError} testId="save-error" />}
        {statsOn && statsError && <ErrorBanner message={statsError} />}
        {validation.failed && <ErrorBanner message={`Could not check the flow: ${validation.failed}`} />}
        <IssuesBanner issues={issues} doc={doc} onSelect={selectNode} />
      </div>
      <div className={`editor-body${readOnly ? ' read-only' : ''}${historyOpen && !isNew ? ' history-open' : ''}`}>
        {!readOnly && <Palette specs={specs} onAdd={addAtCentre} />}
        <div className="flow-canvas" data-testid="flow-canvas" ref={wrapper} onDragOver={onDragOver} onDrop={onDrop}>
          <ReactFlow<CanvasNode, CanvasEdge>
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={ed.onNodesChange}
            onEdgesChange={ed.onEdgesChange}
            onNodeDragStart={ed.onDragStart}
            onSelectionDragStart={ed.onDragStart}
            onConnect={onConnect}
            isValidConnection={isValidConnection}
            nodesDraggable={!readOnly}
            nodesConnectable={!readOnly}
            deleteKeyCode={null}
            // Shift-click adds to the selection too, as in most editors.
            multiSelectionKeyCode={multiSelectKeys}
            minZoom={0.2}
            maxZoom={2}
          >
            <Background gap={20} />
            <MiniMap<CanvasNode> pannable zoomable nodeColor={(n) => `var(--${n.data.spec?.kind ?? kindOf(n.data.node.type) ?? 'action'})`} />
            <Controls showInteractive={false} />
          </ReactFlow>
          {doc.nodes.length === 0 && !readOnly && (
            <div className="canvas-empty muted">Drag a trigger from the left onto the canvas, or double-click it, to start the flow.</div>
          )}
        </div>
        {historyOpen && !isNew ? (
          <VersionHistory flowId={saved.id} current={version} initial={historyVersion} specs={specIndex} onClose={() => setHistoryOpen(false)} />
        ) : (
          <SidePanel
            doc={doc}
            specs={specIndex}
            issues={issues}
            catalog={catalog}
            selectedNodes={ed.selectedNodes}
            selectedEdges={ed.selectedEdges}
            idEditable={isNew}
            onChange={onSettings}
            onIdChange={onIdChange}
            onConfig={onConfig}
            onDelete={remove}
          />
        )}
      </div>
    </div>
  )
}
