// The canvas for a read-only key: the flow and its settings can be read and
// its versions compared; nothing can be added, moved, connected or saved.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { ReactFlowProvider } from '@xyflow/react'
import { MemoryRouter } from 'react-router-dom'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { setMe } from '../../access'
import { stubFetch } from '../../pages/fetchStub'
import FlowCanvasEditor from './FlowCanvasEditor'
import { pricingFlow, specs } from './fixtures'

beforeEach(() => {
  // React Flow measures its pane; jsdom has no layout.
  vi.stubGlobal(
    'ResizeObserver',
    class {
      observe() {}
      unobserve() {}
      disconnect() {}
    },
  )
})

const refused = { status: 403, body: { error: { code: 'forbidden', message: 'this key may only read' } } }

function setup(validate: { status?: number; body: unknown } = { body: { valid: true, errors: [] } }) {
  const stub = stubFetch({
    'POST /api/v1/flows/validate': validate,
    'PUT /api/v1/flows/pricing-interest': (c) => ({ body: { ...(c.body as object), version: 4 } }),
    'GET /api/v1/flows/pricing-interest/versions': { body: { versions: [{ version: 3, created_at: '2026-12-01T10:00:00Z', flow: pricingFlow() }] } },
  })
  render(
    <MemoryRouter>
      <ReactFlowProvider>
        <FlowCanvasEditor initial={pricingFlow()} version={3} specs={specs} onCreated={() => {}} />
      </ReactFlowProvider>
    </MemoryRouter>,
  )
  return { stub, user: userEvent.setup() }
}

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  setMe(undefined)
})

describe('FlowCanvasEditor for a read key', () => {
  it('has no palette, disables save and the settings, and sends no save', async () => {
    setMe({ name: 'bi', scope: 'read', open: false })
    const { stub, user } = setup(refused)
    expect(screen.queryByTestId('palette-search')).toBeNull()
    expect(screen.getByTestId('save-flow')).toBeDisabled()
    expect(screen.getByTestId('auto-layout')).toBeDisabled()
    expect(screen.getByTestId('undo')).toBeDisabled()
    expect(screen.getByTestId('flow-name')).toBeDisabled()
    fireEvent.keyDown(document.body, { key: 's', ctrlKey: true })
    await new Promise((r) => setTimeout(r, 50))
    expect(stub.calls.filter((c) => c.method === 'PUT')).toHaveLength(0)
    expect(screen.getByTestId('saved-version')).toHaveTextContent('3')
    // The check a read key would be refused is not asked for.
    await new Promise((r) => setTimeout(r, 600))
    expect(stub.calls.filter((c) => c.path === '/api/v1/flows/validate')).toHaveLength(0)
    expect(screen.queryByText(/Could not check the flow/)).toBeNull()
    expect(screen.queryByText('Checking…')).toBeNull()

    // History is for reading: it stays.
    await user.click(screen.getByTestId('history-toggle'))
    expect(await screen.findByTestId('version-list')).toHaveTextContent('v3')
  })

  it('an admin key edits and saves as before', async () => {
    const { stub } = setup()
    expect(screen.getByTestId('palette-search')).toBeInTheDocument()
    expect(screen.getByTestId('save-flow')).toBeEnabled()
    expect(screen.getByTestId('flow-name')).toBeEnabled()
    await waitFor(() => expect(stub.calls.filter((c) => c.path === '/api/v1/flows/validate')).toHaveLength(1))
    fireEvent.keyDown(document.body, { key: 's', ctrlKey: true })
    await waitFor(() => expect(screen.getByTestId('saved-version')).toHaveTextContent('4'))
    expect(stub.calls.filter((c) => c.method === 'PUT')).toHaveLength(1)
  })
})
