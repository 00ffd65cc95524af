// The editor's state: the flow document with its undo history, and the view
// state React Flow needs besides it (selection, measured node sizes).
import { useCallback, useMemo, useRef, useState } from 'react'
import type { EdgeChange, NodeChange } from '@xyflow/react'
import type { Flow, Position } from '../../types'
import type { CanvasEdge, CanvasNode } from './convert'
import { canRedo, canUndo, createHistory, record, redo, undo, type History, type RecordOptions } from './history'
import { moveNodes } from './ops'

export type Size = { width: number; height: number }

// A drag is one undo step however long it lasts.
const dragWindowMs = 10 * 60 * 1000

export function useEditorState(initial: Flow) {
  const [hist, setHist] = useState<History<Flow>>(() => createHistory(initial))
  const [selectedNodes, setSelectedNodes] = useState<ReadonlySet<string>>(() => new Set())
  const [selectedEdges, setSelectedEdges] = useState<ReadonlySet<string>>(() => new Set())
  const [measured, setMeasured] = useState<Record<string, Size>>({})
  const dragSeq = useRef(0)
  const doc = hist.present

  // commit records a new document. Callers compute it from doc in an event
  // handler, where doc is current.
  const commit = useCallback((next: Flow, opts?: RecordOptions) => setHist((h) => record(h, next, opts)), [])

  const select = useCallback((nodes: Iterable<string>, edges: Iterable<string> = []) => {
    setSelectedNodes(new Set(nodes))
    setSelectedEdges(new Set(edges))
  }, [])

  const onNodesChange = useCallback((changes: NodeChange<CanvasNode>[]) => {
    const moved: Record<string, Position> = {}
    let anyMoved = false
    const sel: [string, boolean][] = []
    const sizes: Record<string, Size> = {}
    let anySize = false
    for (const c of changes) {
      if (c.type === 'position' && c.position) {
        moved[c.id] = c.position
        anyMoved = true
      } else if (c.type === 'select') {
        sel.push([c.id, c.selected])
      } else if (c.type === 'dimensions' && c.dimensions) {
        sizes[c.id] = c.dimensions
        anySize = true
      }
    }
    if (anyMoved) {
      // Functional update: a fast drag can report twice between renders.
      const key = `drag:${dragSeq.current}`
      setHist((h) => record(h, moveNodes(h.present, moved), { key, windowMs: dragWindowMs }))
    }
    if (sel.length) setSelectedNodes((s) => toggled(s, sel))
    if (anySize) setMeasured((m) => ({ ...m, ...sizes }))
  }, [])

  const onEdgesChange = useCallback((changes: EdgeChange<CanvasEdge>[]) => {
    const sel: [string, boolean][] = []
    for (const c of changes) if (c.type === 'select') sel.push([c.id, c.selected])
    if (sel.length) setSelectedEdges((s) => toggled(s, sel))
  }, [])

  // onDragStart begins a new undo step for the positions that follow.
  const onDragStart = useCallback(() => {
    dragSeq.current++
  }, [])

  return useMemo(
    () => ({
      doc,
      commit,
      undo: () => setHist(undo),
      redo: () => setHist(redo),
      canUndo: canUndo(hist),
      canRedo: canRedo(hist),
      selectedNodes,
      selectedEdges,
      select,
      measured,
      onNodesChange,
      onEdgesChange,
      onDragStart,
    }),
    [doc, hist, commit, selectedNodes, selectedEdges, select, measured, onNodesChange, onEdgesChange, onDragStart],
  )
}

export type EditorState = ReturnType<typeof useEditorState>

function toggled(s: ReadonlySet<string>, changes: [string, boolean][]): ReadonlySet<string> {
  const next = new Set(s)
  for (const [id, on] of changes) {
    if (on) next.add(id)
    else next.delete(id)
  }
  return next
}
