import { act, cleanup, render, screen, within } from '@testing-library/react'
import { MemoryRouter } from 'react-router-dom'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { setMe } from '../access'
import type { ClusterInfo } from '../types'
import ClusterPage, { clusterRefreshMs, compactRanges, seenAgo } from './ClusterPage'
import { stubFetch } from './fetchStub'

const secondsAgo = (s: number) => new Date(Date.now() - s * 1000).toISOString()

// The plain shape of CONTRACT §7: no lag.
function plain(): ClusterInfo {
  return {
    partitions: 16,
    replicas: [
      { id: 'web-2', http: '10.0.0.2:8080', partitions: [8, 9, 10, 11, 12, 13, 14, 15], seen_at: secondsAgo(4) },
      { id: 'web-1', http: '10.0.0.1:8080', partitions: [3, 1, 0, 2, 4, 5, 6, 7], seen_at: secondsAgo(1) },
    ],
  }
}

function setup(answer: () => ClusterInfo | { status: number; body: unknown }) {
  const stub = stubFetch({
    'GET /api/v1/cluster': () => {
      const a = answer()
      return 'status' in a ? a : { body: a }
    },
  })
  render(
    <MemoryRouter initialEntries={['/settings/cluster']}>
      <ClusterPage />
    </MemoryRouter>,
  )
  return stub
}

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  vi.useRealTimers()
  setMe(undefined)
})

describe('ClusterPage', () => {
  it('shows the partitions and each replica with its address, partitions and last heartbeat, without a lag table when lag is absent', async () => {
    setup(plain)
    const web1 = await screen.findByTestId('replica-row-web-1')
    expect(screen.getByTestId('cluster-partitions')).toHaveTextContent('16')
    expect(screen.getByTestId('cluster-replica-count')).toHaveTextContent('2')
    expect(within(web1).getByText('10.0.0.1:8080')).toBeInTheDocument()
    expect(within(web1).getByTestId('replica-partitions')).toHaveTextContent('0–7 (8)')
    expect(within(web1).getByTestId('replica-seen')).toHaveTextContent(/^[12] s ago$/)
    const web2 = screen.getByTestId('replica-row-web-2')
    expect(within(web2).getByTestId('replica-partitions')).toHaveTextContent('8–15 (8)')
    expect(within(web2).getByTestId('replica-seen')).toHaveTextContent(/^[45] s ago$/)
    // Sorted by id, whatever order the server listed them in.
    const rows = within(screen.getByTestId('cluster-replicas')).getAllByRole('row').slice(1)
    expect(rows.map((r) => r.getAttribute('data-testid'))).toEqual(['replica-row-web-1', 'replica-row-web-2'])
    expect(screen.queryByTestId('cluster-lag')).toBeNull()
    expect(screen.queryByTestId('cluster-unowned')).toBeNull()
  })

  it('shows the lag of every partition with its owner, and partitions nobody owns', async () => {
    setup(() => ({
      partitions: 4,
      replicas: [
        { id: 'web-1', http: '10.0.0.1:8080', partitions: [0, 1], seen_at: secondsAgo(2) },
        // A dead replica stays listed a while, owning nothing.
        { id: 'web-3', http: '10.0.0.3:8080', partitions: [], seen_at: secondsAgo(40) },
      ],
      lag: [
        { partition: 2, owner: '', pending: 310 },
        { partition: 0, owner: 'web-1', pending: 0 },
        { partition: 1, owner: 'web-1', pending: 12 },
        { partition: 3, owner: '', pending: 7 },
      ],
    }))
    const lag = await screen.findByTestId('cluster-lag')
    const rows = within(lag).getAllByRole('row').slice(1)
    expect(rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent))).toEqual([
      ['0', 'web-1', '0'],
      ['1', 'web-1', '12'],
      ['2', 'none', '310'],
      ['3', 'none', '7'],
    ])
    expect(screen.getByTestId('cluster-unowned')).toHaveTextContent('2 partitions have no owner right now')
    const dead = screen.getByTestId('replica-row-web-3')
    expect(within(dead).getByTestId('replica-partitions')).toHaveTextContent('none')
    expect(within(dead).getByTestId('replica-seen')).toHaveTextContent(/^4[01] s ago$/)
  })

  it('asks again every few seconds and shows the new owners', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    let calls = 0
    const stub = setup(() => {
      calls++
      if (calls === 1) return plain()
      // web-2 died: web-1 took its partitions over.
      return { partitions: 16, replicas: [{ id: 'web-1', http: '10.0.0.1:8080', partitions: [...Array(16).keys()], seen_at: new Date().toISOString() }] }
    })
    expect(await screen.findByTestId('replica-row-web-2')).toBeInTheDocument()
    await act(async () => {
      vi.advanceTimersByTime(clusterRefreshMs)
    })
    expect(await screen.findByText('0–15 (16)')).toBeInTheDocument()
    expect(screen.queryByTestId('replica-row-web-2')).toBeNull()
    expect(stub.calls.filter((c) => c.path === '/api/v1/cluster').length).toBe(2)
  })

  it('keeps the last answer when a refresh fails, and says so', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    let calls = 0
    setup(() => (++calls === 1 ? plain() : { status: 503, body: { error: { code: 'unavailable', message: 'nats: no servers available' } } }))
    await screen.findByTestId('replica-row-web-1')
    await act(async () => {
      vi.advanceTimersByTime(clusterRefreshMs)
    })
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not read the cluster: nats: no servers available')
    expect(screen.getByTestId('replica-row-web-1')).toBeInTheDocument()
  })

  it('is for admin keys only', async () => {
    setMe({ name: 'bi', scope: 'read', open: false })
    const stub = setup(plain)
    expect(await screen.findByText('Only an admin key can see the cluster.')).toBeInTheDocument()
    expect(stub.calls).toEqual([])
  })
})

describe('cluster formatting', () => {
  it('writes partition runs compactly', () => {
    expect(compactRanges([])).toBe('')
    expect(compactRanges([5])).toBe('5')
    expect(compactRanges([0, 1, 2, 3, 8, 10, 11])).toBe('0–3, 8, 10–11')
  })

  it('says seconds since the heartbeat, never negative', () => {
    const now = Date.parse('2026-12-02T10:00:30Z')
    expect(seenAgo('2026-12-02T10:00:00Z', now)).toBe('30 s ago')
    expect(seenAgo('2026-12-02T10:00:31Z', now)).toBe('0 s ago')
    expect(seenAgo('not a time', now)).toBe('not a time')
  })
})
