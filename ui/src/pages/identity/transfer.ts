// The CSV transfers: an upload with progress (XMLHttpRequest: fetch cannot
// report upload progress) and an export download, both with the admin key.
import { adminKey, ApiError } from '../../api'
import type { ImportReport } from './csvPreview'

export type Upload = (query: string, file: Blob, onProgress: (fraction: number) => void) => Promise<ImportReport>

export const uploadCSV: Upload = (query, file, onProgress) =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', `/api/v1/contacts/import${query ? '?' + query : ''}`)
    xhr.setRequestHeader('Content-Type', 'text/csv')
    xhr.setRequestHeader('Accept', 'application/json')
    const key = adminKey()
    if (key) xhr.setRequestHeader('Authorization', `Bearer ${key}`)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total)
    }
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload failed: the server could not be reached.'))
    xhr.onload = () => {
      let data: any
      try {
        data = JSON.parse(xhr.responseText)
      } catch {
        data = undefined
      }
      if (xhr.status >= 200 && xhr.status < 300 && data) {
        onProgress(1)
        resolve(data as ImportReport)
        return
      }
      const e = data?.error
      reject(new ApiError(xhr.status, e?.code ?? 'http_' + xhr.status, e?.message ?? 'the import failed', e?.details ?? []))
    }
    xhr.send(file)
  })

// downloadExport fetches the CSV export of a filtered list and hands it to
// the browser as a file (a plain link could not carry the admin key).
export async function downloadExport(query: string): Promise<void> {
  const headers: Record<string, string> = {}
  const key = adminKey()
  if (key) headers.Authorization = `Bearer ${key}`
  const res = await fetch(`/api/v1/contacts/export${query ? '?' + query : ''}`, { headers })
  if (!res.ok) throw new ApiError(res.status, 'http_' + res.status, 'The export failed.')
  const url = URL.createObjectURL(await res.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = 'contacts.csv'
  a.click()
  URL.revokeObjectURL(url)
}
