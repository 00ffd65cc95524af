import { act, cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { lazyModule } from './lazyModule'

afterEach(cleanup)

// deferred is a promise the test settles by hand.
function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

function Host({ lazy }: { lazy: ReturnType<typeof lazyModule<{ text: string }>> }) {
  const { mod, failed } = lazy.use()
  if (failed) return <p>failed</p>
  return <p>{mod ? mod.text : 'placeholder'}</p>
}

describe('lazyModule', () => {
  it('shows the placeholder until the module arrives, then loads it only once', async () => {
    let loads = 0
    const d = deferred<{ text: string }>()
    const lazy = lazyModule(() => {
      loads++
      return d.promise
    })
    render(
      <>
        <Host lazy={lazy} />
        <Host lazy={lazy} />
      </>,
    )
    expect(screen.getAllByText('placeholder')).toHaveLength(2)
    await act(async () => d.resolve({ text: 'chart' }))
    expect(screen.getAllByText('chart')).toHaveLength(2)
    cleanup()
    // A later page has it at once: no placeholder flash.
    render(<Host lazy={lazy} />)
    expect(screen.getByText('chart')).toBeInTheDocument()
    expect(loads).toBe(1)
  })

  it('says when the chunk failed, and tries again on a later visit', async () => {
    let attempt = 0
    const first = deferred<{ text: string }>()
    const lazy = lazyModule(() => (++attempt === 1 ? first.promise : Promise.resolve({ text: 'second try' })))
    render(<Host lazy={lazy} />)
    await act(async () => first.reject(new Error('chunk gone')))
    expect(screen.getByText('failed')).toBeInTheDocument()
    cleanup()
    render(<Host lazy={lazy} />)
    expect(await screen.findByText('second try')).toBeInTheDocument()
    expect(attempt).toBe(2)
  })
})
