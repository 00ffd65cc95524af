import { commandFor, isTyping, type KeyLike } from './keys'

const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods })

describe('commandFor', () => {
  it.each([
    [key('z', { ctrlKey: true }), false, 'undo'],
    [key('Z', { ctrlKey: true, shiftKey: true }), false, 'redo'],
    [key('y', { ctrlKey: true }), false, 'redo'],
    [key('z', { metaKey: true }), false, 'undo'],
    [key('c', { ctrlKey: true }), false, 'copy'],
    [key('v', { metaKey: true }), false, 'paste'],
    [key('Delete'), false, 'delete'],
    [key('Backspace'), false, 'delete'],
    [key('s', { ctrlKey: true }), false, 'save'],
    [key('s', { ctrlKey: true }), true, 'save'],
    [key('z', { ctrlKey: true }), true, undefined],
    [key('Backspace'), true, undefined],
    [key('v', { ctrlKey: true }), true, undefined],
    [key('z'), false, undefined],
    [key('z', { ctrlKey: true, altKey: true }), false, undefined],
  ])('%j typing=%s → %s', (e, typing, want) => expect(commandFor(e, typing)).toBe(want))
})

describe('isTyping', () => {
  it('is true in text controls only', () => {
    const text = document.createElement('input')
    const box = document.createElement('input')
    box.type = 'checkbox'
    expect(isTyping(text)).toBe(true)
    expect(isTyping(document.createElement('textarea'))).toBe(true)
    expect(isTyping(document.createElement('select'))).toBe(true)
    expect(isTyping(box)).toBe(false)
    expect(isTyping(document.createElement('div'))).toBe(false)
    expect(isTyping(null)).toBe(false)
  })
})
