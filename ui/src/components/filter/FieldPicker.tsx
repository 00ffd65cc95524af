// The field of a field condition: a grouped select of the contact's fields
// (with "Other attribute…" for any attributes.<name>), or, on an event, a
// free-text property name with suggestions.
import { useId, useState } from 'react'
import { useFilterContext } from './context'
import { contactFieldGroups } from './contactFields'
import { EVENT_PROPERTIES } from './fields'

const CUSTOM = '__attribute__'
const ATTR = 'attributes.'

interface Props {
  field: string
  onChange: (field: string) => void
}

export default function FieldPicker({ field, onChange }: Props) {
  const { scope } = useFilterContext()
  return scope === 'event' ? <PropertyInput field={field} onChange={onChange} /> : <ContactFieldSelect field={field} onChange={onChange} />
}

function PropertyInput({ field, onChange }: Props) {
  const list = useId()
  return (
    <>
      <input
        className="fb-field"
        data-testid="filter-field"
        aria-label="Property"
        placeholder="property, e.g. url"
        list={list}
        value={field}
        onChange={(e) => onChange(e.target.value)}
      />
      <datalist id={list}>
        {EVENT_PROPERTIES.map((p) => (
          <option key={p} value={p} />
        ))}
      </datalist>
    </>
  )
}

function ContactFieldSelect({ field, onChange }: Props) {
  const { catalog } = useFilterContext()
  const groups = contactFieldGroups(catalog)
  const known = new Set(groups.flatMap((g) => g.options.map((o) => o.value)))
  // "Other attribute…" stays chosen while its name is typed, even when the
  // name typed so far happens to be a listed attribute.
  const [custom, setCustom] = useState(false)
  const isCustom = field.startsWith(ATTR) && (custom || !known.has(field))
  // A field the picker does not know (score.<new dimension>, a typo in
  // hand-written JSON) is still shown as it is.
  const extra = !isCustom && field !== '' && !known.has(field) ? field : undefined
  const selected = isCustom ? CUSTOM : field
  return (
    <>
      <select
        className="fb-field"
        data-testid="filter-field"
        aria-label="Field"
        value={selected}
        onChange={(e) => {
          const v = e.target.value
          if (v === CUSTOM) {
            setCustom(true)
            onChange(field.startsWith(ATTR) ? field : ATTR)
          } else {
            setCustom(false)
            onChange(v)
          }
        }}
      >
        {field === '' && <option value="">choose a field…</option>}
        {groups.map(
          (g) =>
            g.options.length > 0 && (
              <optgroup key={g.label} label={g.label}>
                {g.options.map((o) => (
                  <option key={o.value} value={o.value} title={o.title}>
                    {o.label}
                  </option>
                ))}
              </optgroup>
            ),
        )}
        <optgroup label="Other">
          <option value={CUSTOM}>Other attribute…</option>
          {extra !== undefined && <option value={extra}>{extra}</option>}
        </optgroup>
      </select>
      {isCustom && (
        <input
          className="fb-attr"
          data-testid="filter-field-custom"
          aria-label="Attribute name"
          placeholder="attribute name"
          value={field.slice(ATTR.length)}
          onChange={(e) => onChange(ATTR + e.target.value)}
        />
      )}
    </>
  )
}
