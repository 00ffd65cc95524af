import { describe, expect, it } from 'vitest'
import { guessRoles, importQuery, mappingProblem, parseCSV } from './csvPreview'

describe('parseCSV', () => {
  it('reads quotes, doubled quotes, newlines in quotes and CRLF', () => {
    expect(parseCSV('\ufeffid,note\r\nc1,"a, ""b""\nc"\r\nc2,x\n', 10)).toEqual([
      ['id', 'note'],
      ['c1', 'a, "b"\nc'],
      ['c2', 'x'],
    ])
  })
  it('stops at maxRows and drops a row cut off by the preview', () => {
    expect(parseCSV('a\n1\n2\n3\n', 2)).toEqual([['a'], ['1']])
    expect(parseCSV('a,b\n1,2\n3,"unfinish', 10, false)).toEqual([['a', 'b'], ['1', '2']])
    expect(parseCSV('a,b\n1,2\n3,4', 10, true)).toEqual([['a', 'b'], ['1', '2'], ['3', '4']])
  })
})

describe('column mapping', () => {
  it('guesses roles by name', () => {
    expect(guessRoles(['ID', 'E-mail', 'account_id', 'plan', ''])).toEqual(['id', 'email', 'account_id', 'attribute', 'skip'])
  })
  it('needs an id or an email, once each', () => {
    expect(mappingProblem(['attribute', 'skip'])).toMatch(/id or the email/)
    expect(mappingProblem(['email', 'email'])).toMatch(/one column/)
    expect(mappingProblem(['email', 'attribute'])).toBe('')
  })
  it('names the mapped columns and the skipped ones in the query', () => {
    const q = new URLSearchParams(importQuery(['Customer', 'Mail', 'notes', 'misc', 'plan'], ['id', 'email', 'skip', 'skip', 'attribute']))
    expect(q.get('id')).toBe('Customer')
    expect(q.get('email')).toBe('Mail')
    expect(q.getAll('skip')).toEqual(['notes', 'misc'])
    expect(q.has('plan')).toBe(false)
  })
})
