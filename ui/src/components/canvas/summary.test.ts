import { specs } from './fixtures'
import { filterText, summarize } from './summary'

describe('summarize', () => {
  it.each([
    ['trigger.page_visited', { url: '/pricing' }, 'URL contains /pricing'],
    ['trigger.page_visited', { url: '/blog/*', match: 'glob' }, 'URL glob /blog/*'],
    ['trigger.event', { name: 'Signed up', where: { field: 'plan', op: 'eq', value: 'pro' } }, 'Signed up where plan eq pro'],
    ['trigger.email_clicked', { link: '*/pricing*' }, 'any email, link */pricing*'],
    ['trigger.email_opened', {}, 'any email'],
    ['trigger.form_submitted', { form: 'Demo' }, 'form Demo'],
    ['delay.wait', { for: '3d' }, 'wait 3d'],
    ['action.adjust_score', { score: 'engagement', points: 10 }, '+10 engagement'],
    ['action.adjust_score', { score: 'fit', points: -5 }, '-5 fit'],
    ['action.adjust_score', {}, ''],
    ['action.change_deal_stage', { stage: 'sql' }, '→ sql'],
    ['action.set_field', { field: 'attributes.plan', value: 'pro' }, 'attributes.plan = "pro"'],
    ['action.webhook', { url: 'https://x.test/h' }, 'POST https://x.test/h'],
    ['action.requalify', {}, 'clear disqualification'],
  ])('%s %j → %s', (type, config, want) => expect(summarize(type, config)).toBe(want))

  it('lists set fields of a type it has no sentence for', () => {
    const spec = { ...specs[4], type: 'action.custom' }
    expect(summarize('action.custom', { score: 'fit', points: 2 }, spec)).toBe('score: fit, points: 2')
  })

  it('clips long summaries', () => {
    expect(summarize('trigger.page_visited', { url: 'x'.repeat(300) }).length).toBe(120)
  })
})

describe('filterText', () => {
  it.each([
    [{ field: 'score', op: 'gte', value: 50 }, 'score gte 50'],
    [{ field: 'tags', op: 'exists' }, 'tags exists'],
    [{ all: [{ field: 'a', op: 'eq', value: 1 }, { any: [{ field: 'b', op: 'eq', value: 2 }, { field: 'c', op: 'eq', value: 3 }] }] }, 'a eq 1 and (b eq 2 or c eq 3)'],
    [{ not: { field: 'grade', op: 'eq', value: 'cold' } }, 'not (grade eq cold)'],
    [{ event: 'email_opened', within: '60d', count: { op: 'gte', value: 2 } }, 'email_opened gte 2 times in 60d'],
    [{ field: 'score_change.engagement', within: '7d', op: 'gte', value: 20 }, 'score_change.engagement gte 20 in 7d'],
  ])('%j → %s', (f, want) => expect(filterText(f)).toBe(want))
})
