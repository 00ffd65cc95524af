import { cleanup, render, screen } from '@testing-library/react'
import { MemoryRouter } from 'react-router-dom'
import { afterEach, describe, expect, it } from 'vitest'
import type { Flow } from '../../types'
import DraftPanel from './DraftPanel'

const flow = (id: string) => ({ id, name: id, enabled: true, nodes: [], edges: [] }) as unknown as Flow

function show(live: Flow[] | undefined) {
  render(
    <MemoryRouter>
      <DraftPanel draft={{ add: [flow('booked-call'), flow('new-one')], remove: [] }} live={live} onChange={() => {}} />
    </MemoryRouter>,
  )
}

describe('DraftPanel', () => {
  afterEach(cleanup)

  it('says whether a draft flow replaces a live one once the live flows are known', () => {
    show([flow('booked-call')])
    expect(screen.getByTestId('draft-flow-booked-call').textContent).toMatch(/replaces live/)
    expect(screen.getByTestId('draft-flow-new-one').textContent).toMatch(/added/)
  })

  it('makes no claim while the live flows load', () => {
    show(undefined)
    expect(screen.getByTestId('draft-flow-booked-call').textContent).not.toMatch(/replaces live|added/)
  })
})
