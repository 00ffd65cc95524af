// slugify proposes a segment id from its name: lowercase letters, digits
// and dashes, as the server accepts ([A-Za-z0-9][A-Za-z0-9_.:-]{0,127}).
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents: "Qualifié" → "qualifie"
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 128)
    .replace(/-+$/, '')
}
