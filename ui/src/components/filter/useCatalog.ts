// useCatalog loads the choices of the filter pickers: GET /api/v1/catalog,
// plus grade names from the settings (the catalog has none). Against a
// server without the catalog endpoint it falls back to what settings and
// segments tell.
import { get } from '../../api'
import { useAsync } from '../../hooks'
import type { Catalog, Segment, Settings } from '../../types'
import type { FilterCatalog } from './fields'

export function useCatalog(): FilterCatalog | undefined {
  return useAsync(loadCatalog, []).data
}

export async function loadCatalog(): Promise<FilterCatalog> {
  const [catalog, settings] = await Promise.all([
    get<Catalog>('/api/v1/catalog').catch(() => undefined),
    get<Settings>('/api/v1/settings').catch(() => undefined),
  ])
  const grades = settings?.grades?.map((g) => g.name)
  if (catalog) return { ...catalog, grades: (catalog as FilterCatalog).grades ?? grades }
  const segments = await get<{ segments: Segment[] }>('/api/v1/segments').catch(() => ({ segments: [] as Segment[] }))
  return {
    event_types: [],
    tags: [],
    fields: [],
    scores: settings?.scores?.map((s) => s.name) ?? [],
    stages: settings?.pipeline ?? [],
    segments: segments.segments.map((s) => ({ id: s.id, name: s.name })),
    grades,
  }
}
