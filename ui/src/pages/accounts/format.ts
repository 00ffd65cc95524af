export const accountPath = (id: string) => `/accounts/${encodeURIComponent(id)}`
