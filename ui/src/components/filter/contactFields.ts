// The contact fields a filter may name, as the server's one table of them
// (flows/contact_fields.go) lists them in GET /api/v1/catalog: the field
// picker's groups and each field's row. Kinds and ops follow from a row's
// type in fields.ts; nothing here lists names the server already does,
// beyond the fallback below.
import type { ContactFieldInfo } from '../../types'
import type { FilterCatalog, Option } from './fields'

// The table as servers without catalog.contact_fields have it, used until
// the catalog loads and against such servers, so the picker looks as it
// did before the server sent its table. Frozen: new fields come from the
// server, not from here.
export const FALLBACK_CONTACT_FIELDS: ContactFieldInfo[] = [
  { name: 'score', type: 'number', doc: 'total score over all dimensions', family: false, settable: false, optional: false },
  { name: 'score.', type: 'number', doc: 'score on one dimension, such as score.fit (0 when never scored)', family: true, settable: false, optional: false },
  { name: 'grade', type: 'text', doc: 'grade from the score (settings)', family: false, settable: false, optional: false },
  { name: 'tags', type: 'text_list', doc: 'tags', family: false, settable: false, optional: false },
  { name: 'segments', type: 'text_list', doc: 'ids of the segments the contact is in', family: false, settable: false, optional: false },
  { name: 'deal_stage', type: 'text', doc: 'deal stage', family: false, settable: false, optional: false },
  { name: 'disqualified', type: 'bool', doc: 'whether the contact is disqualified', family: false, settable: false, optional: false },
  { name: 'created_at', type: 'time', doc: 'when the contact was created', family: false, settable: false, optional: false },
  { name: 'last_activity_at', type: 'time', doc: "time of the contact's latest event", family: false, settable: false, optional: true },
  { name: 'attributes.', type: 'any', doc: 'an attribute, such as attributes.job_title (dotted names reach into objects)', family: true, settable: true, optional: true },
]

// contactFieldRows is the server's table when the catalog has it.
export function contactFieldRows(catalog?: FilterCatalog): ContactFieldInfo[] {
  const rows = catalog?.contact_fields
  return rows?.length ? rows : FALLBACK_CONTACT_FIELDS
}

// findContactField is the row of a field name, as the server's lookup
// finds it, except that a family's bare prefix ("attributes." while its
// name is being typed) already counts as the family.
export function findContactField(name: string, rows: ContactFieldInfo[]): ContactFieldInfo | undefined {
  return rows.find((r) => (r.family ? name.startsWith(r.name) : name === r.name))
}

// fieldLabel makes a name readable: "last_activity_at" → "Last activity
// at", a family's "score." → "Score".
export function fieldLabel(name: string): string {
  const words = name.replace(/\.$/, '').replace(/[_.]+/g, ' ').trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

export interface FieldGroup {
  label: string
  options: Option[]
}

const ATTRIBUTES = 'attributes.'

// A family's members come from the catalog, keyed by prefix as the value
// sources of fields.ts are: score dimensions from the settings, attributes
// from what contacts carry (the catalog lists them as "attributes.<name>",
// and bare names that are no contact field are attributes too). Another
// family offers the catalog's fields under its prefix.
interface Members {
  rests: (catalog: FilterCatalog | undefined, rows: ContactFieldInfo[]) => string[]
  label: (rest: string) => string
}

const FAMILY_MEMBERS = new Map<string, Members>([
  ['score.', { rests: (c) => c?.scores ?? [], label: (d) => `Score: ${d}` }],
  ['score_change.', { rests: (c) => c?.scores ?? [], label: (d) => `Change of ${d}` }],
  ['account.score.', { rests: (c) => c?.scores ?? [], label: (d) => `Account score: ${d}` }],
  ['account.attributes.', { rests: (c) => c?.account_attributes ?? [], label: (a) => a }],
  [ATTRIBUTES, {
    rests: (c, rows) => {
      const names = new Set<string>()
      for (const f of c?.fields ?? []) {
        const row = findContactField(f, rows)
        if (row && row.name !== ATTRIBUTES) continue // a field of its own, such as deal_stage
        const name = f.startsWith(ATTRIBUTES) ? f.slice(ATTRIBUTES.length) : f
        if (name) names.add(name)
      }
      return [...names].sort()
    },
    label: (a) => a,
  }],
])

function membersOf(family: ContactFieldInfo): Members {
  return (
    FAMILY_MEMBERS.get(family.name) ?? {
      rests: (c) => {
        const rests = (c?.fields ?? []).filter((f) => f.startsWith(family.name)).map((f) => f.slice(family.name.length))
        return [...new Set(rests)].filter(Boolean).sort()
      },
      label: (rest) => rest,
    }
  )
}

// contactFieldGroups are the groups of the contact field picker, in the
// table's order: a family is a group of its own (its bare name, "score"
// next to "score.", heads it as the total), the other fields are "Contact".
export function contactFieldGroups(catalog?: FilterCatalog): FieldGroup[] {
  const rows = contactFieldRows(catalog)
  const groups = new Map<string, FieldGroup>()
  const group = (label: string) => {
    let g = groups.get(label)
    if (!g) groups.set(label, (g = { label, options: [] }))
    return g
  }
  for (const row of rows) {
    if (row.family) {
      const members = membersOf(row)
      group(fieldLabel(row.name)).options.push(
        ...members.rests(catalog, rows).map((rest) => ({ value: row.name + rest, label: members.label(rest), title: row.doc })),
      )
      continue
    }
    const family = rows.find((r) => r.family && r.name === `${row.name}.`)
    const label = fieldLabel(row.name)
    if (family) group(fieldLabel(family.name)).options.push({ value: row.name, label: `Total ${label.toLowerCase()}`, title: row.doc })
    else group('Contact').options.push({ value: row.name, label, title: row.doc })
  }
  return [...groups.values()]
}
