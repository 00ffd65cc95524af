import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, Route, Routes } from 'react-router-dom'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Contact } from '../../types'
import ContactPage from '../ContactPage'
import { stubFetch } from '../fetchStub'
import type { ImportReport } from './csvPreview'
import ImportDialog from './ImportDialog'
import MergeDialog, { mergeIds } from './MergeDialog'

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

const contact: Contact = {
  id: 'u-7',
  email: 'ana@acme.test',
  attributes: {},
  scores: { engagement: 20 },
  score: 20,
  grade: 'warm',
  tags: [],
  deal_stage: 'new',
  disqualified: null,
  segments: [],
  created_at: '2026-11-01T00:00:00Z',
  merged_from: ['anon-1', 'old@acme.test'],
}

describe('MergeDialog', () => {
  it('reads ids, leaves out the contact itself and repeats', () => {
    expect(mergeIds(' a, b\na  u-7 ,', 'u-7')).toEqual(['a', 'b'])
  })

  it('confirms, then posts the ids and hands back the survivor', async () => {
    const { calls } = stubFetch({ 'POST /api/v1/contacts/u-7/merge': { body: contact } })
    const onMerged = vi.fn()
    render(<MergeDialog into="u-7" onClose={() => {}} onMerged={onMerged} />)
    const user = userEvent.setup()
    expect(screen.getByTestId('merge-next')).toBeDisabled()
    await user.type(screen.getByTestId('merge-ids'), 'anon-1, old@acme.test u-7')
    await user.click(screen.getByTestId('merge-next'))
    expect(screen.getByTestId('merge-confirm-text').textContent).toContain('anon-1, old@acme.test into u-7')
    expect(calls).toHaveLength(0)
    await user.click(screen.getByTestId('merge-confirm'))
    await waitFor(() => expect(onMerged).toHaveBeenCalledWith(contact))
    expect(calls[0].body).toEqual({ from: ['anon-1', 'old@acme.test'] })
  })

  it('shows the server refusing, and merges nothing', async () => {
    stubFetch({ 'POST /api/v1/contacts/u-7/merge': { status: 404, body: { error: { code: 'not_found', message: 'contact nobody not found' } } } })
    const onMerged = vi.fn()
    render(<MergeDialog into="u-7" onClose={() => {}} onMerged={onMerged} />)
    const user = userEvent.setup()
    await user.type(screen.getByTestId('merge-ids'), 'nobody')
    await user.click(screen.getByTestId('merge-next'))
    await user.click(screen.getByTestId('merge-confirm'))
    expect((await screen.findByTestId('merge-error')).textContent).toContain('nobody not found')
    expect(onMerged).not.toHaveBeenCalled()
  })
})

describe('the contact page', () => {
  it('shows what was merged into the contact and offers the merge', async () => {
    stubFetch({
      'GET /api/v1/contacts/u-7': { body: contact },
      'GET /api/v1/contacts/u-7/history': { body: { history: [] } },
      'GET /api/v1/contacts/u-7/timeline': { body: { events: [] } },
      'GET /api/v1/segments': { body: { segments: [] } },
    })
    render(
      <MemoryRouter initialEntries={['/contacts/u-7']}>
        <Routes>
          <Route path="/contacts/:id" element={<ContactPage />} />
        </Routes>
      </MemoryRouter>,
    )
    const merged = await screen.findByTestId('contact-merged-from')
    expect(merged.textContent).toContain('anon-1')
    expect(merged.textContent).toContain('old@acme.test')
    await userEvent.setup().click(screen.getByTestId('contact-merge'))
    expect(screen.getByRole('dialog').textContent).toContain('Merge contacts into u-7')
  })
})

describe('ImportDialog', () => {
  const csv = 'Customer,E-mail,notes,plan\nk1,k1@x.test,n,pro\nk2,,n,free\n'

  it('previews the first rows, maps columns, uploads with progress and reports bad rows', async () => {
    let finish: (r: ImportReport) => void = () => {}
    let progress: (f: number) => void = () => {}
    const upload = vi.fn((_q: string, _f: Blob, onProgress: (f: number) => void) => {
      progress = onProgress
      return new Promise<ImportReport>((resolve) => (finish = resolve))
    })
    const onDone = vi.fn()
    render(<ImportDialog onClose={() => {}} onDone={onDone} upload={upload} />)
    const user = userEvent.setup()
    await user.upload(screen.getByTestId('import-file'), new File([csv], 'leads.csv', { type: 'text/csv' }))
    const preview = await screen.findByTestId('import-preview')
    expect(preview.textContent).toContain('k1@x.test')
    expect(preview.textContent).toContain('free')
    // "Customer" is no known name: until a column is the id or email, nothing can start.
    await user.selectOptions(screen.getByTestId('import-role-1'), 'attribute')
    expect(screen.getByTestId('import-start')).toBeDisabled()
    await user.selectOptions(screen.getByTestId('import-role-0'), 'id')
    await user.selectOptions(screen.getByTestId('import-role-1'), 'email')
    await user.selectOptions(screen.getByTestId('import-role-2'), 'skip')
    await user.click(screen.getByTestId('import-start'))

    expect(upload).toHaveBeenCalledTimes(1)
    const q = new URLSearchParams(upload.mock.calls[0][0])
    expect(q.get('id')).toBe('Customer')
    expect(q.get('email')).toBe('E-mail')
    expect(q.getAll('skip')).toEqual(['notes'])
    act(() => progress(0.5))
    expect((screen.getByTestId('import-progress') as HTMLProgressElement).value).toBe(0.5)
    await act(async () => finish({ rows: 2, accepted: 1, errors: [{ row: 2, message: 'has no id and no email' }] }))
    const report = await screen.findByTestId('import-report')
    expect(report.textContent).toContain('1 of 2 rows imported')
    expect(report.textContent).toContain('Row 2: has no id and no email')
    expect(onDone).toHaveBeenCalled()
  })

  it('shows why an upload failed', async () => {
    const upload = vi.fn(() => Promise.reject(new Error('the header needs an id or an email column')))
    render(<ImportDialog onClose={() => {}} onDone={() => {}} upload={upload} />)
    const user = userEvent.setup()
    await user.upload(screen.getByTestId('import-file'), new File(['email\na@x.test\n'], 'a.csv', { type: 'text/csv' }))
    await screen.findByTestId('import-preview')
    await user.click(screen.getByTestId('import-start'))
    expect((await screen.findByTestId('import-error')).textContent).toContain('needs an id or an email')
  })
})
