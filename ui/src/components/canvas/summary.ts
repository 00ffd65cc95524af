// One-line summaries of node configs and filters, for the nodes on the
// canvas. Plain text: the canvas renders them as text, never as HTML.
import type { Filter, NodeTypeSpec } from '../../types'

const maxLength = 120

function clip(s: string): string {
  return s.length > maxLength ? s.slice(0, maxLength - 1) + '…' : s
}

function show(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (Array.isArray(v)) return v.map(show).join(', ')
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

// filterText renders a filter (CONTRACT §4) as a short sentence.
export function filterText(f: unknown): string {
  if (!f || typeof f !== 'object') return show(f)
  const o = f as Record<string, unknown>
  const group = (list: unknown, sep: string) => {
    const parts = Array.isArray(list) ? list.map((x) => filterText(x)) : []
    return parts.length > 1 ? parts.map((p) => (/ (and|or) /.test(p) ? `(${p})` : p)).join(sep) : (parts[0] ?? '')
  }
  if ('all' in o) return group(o.all, ' and ')
  if ('any' in o) return group(o.any, ' or ')
  if ('not' in o) return `not (${filterText(o.not)})`
  if ('event' in o) {
    const count = o.count as { op?: string; value?: number } | undefined
    const parts = [String(o.event)]
    if (o.where) parts.push(`where ${filterText(o.where)}`)
    if (count) parts.push(`${count.op ?? ''} ${count.value ?? ''} times`.trim())
    if (o.within) parts.push(`in ${show(o.within)}`)
    return parts.join(' ')
  }
  if ('field' in o) {
    const value = 'value' in o ? ` ${show(o.value)}` : ''
    const within = o.within ? ` in ${show(o.within)}` : '' // score_change's window
    return `${show(o.field)} ${show(o.op)}${value}${within}`
  }
  return JSON.stringify(f)
}

function signed(n: unknown): string {
  return typeof n === 'number' && n > 0 ? `+${n}` : show(n)
}

// summarize describes what a node does with its config, such as
// "+10 engagement" or "job_title in CEO, CMO".
export function summarize(type: string, config: Record<string, unknown> | undefined, spec?: NodeTypeSpec): string {
  const c = config ?? {}
  const s = (k: string) => show(c[k])
  let text: string
  switch (type) {
    case 'trigger.event':
      text = s('name') + (c.where ? ` where ${filterText(c.where as Filter)}` : '')
      break
    case 'trigger.page_visited':
      text = c.url ? `URL ${s('match') || 'contains'} ${s('url')}` : ''
      break
    case 'trigger.email_clicked':
      text = [c.email ? `email ${s('email')}` : 'any email', c.link ? `link ${s('link')}` : ''].filter(Boolean).join(', ')
      break
    case 'trigger.email_opened':
    case 'trigger.email_replied':
    case 'trigger.email_unsubscribed':
    case 'trigger.email_bounced':
      text = c.email ? `email ${s('email')}` : 'any email'
      break
    case 'trigger.form_submitted':
      text = c.form ? `form ${s('form')}` : 'any form'
      break
    case 'condition.if':
      text = c.where ? filterText(c.where) : ''
      break
    case 'delay.wait':
      text = c.for ? `wait ${s('for')}` : ''
      break
    case 'action.adjust_score':
      text = c.points !== undefined || c.score ? `${signed(c.points)} ${s('score')}`.trim() : ''
      break
    case 'action.add_tag':
      text = c.tag ? `add ${s('tag')}` : ''
      break
    case 'action.remove_tag':
      text = c.tag ? `remove ${s('tag')}` : ''
      break
    case 'action.change_deal_stage':
      text = c.stage ? `→ ${s('stage')}` : ''
      break
    case 'action.set_field':
      text = c.field ? `${s('field')} = ${JSON.stringify(c.value ?? null)}` : ''
      break
    case 'action.webhook':
      text = c.url ? `POST ${s('url')}` : ''
      break
    case 'action.requalify':
      text = 'clear disqualification'
      break
    default:
      text = genericSummary(c, spec)
  }
  return clip(text)
}

// genericSummary lists the set fields, for node types added later.
function genericSummary(c: Record<string, unknown>, spec?: NodeTypeSpec): string {
  const names = spec ? spec.fields.map((f) => f.name) : Object.keys(c)
  return names
    .filter((n) => c[n] !== undefined && c[n] !== '')
    .map((n) => {
      const t = spec?.fields.find((f) => f.name === n)?.type
      return `${n}: ${t === 'filter' || t === 'event_filter' ? filterText(c[n]) : show(c[n])}`
    })
    .join(', ')
}
