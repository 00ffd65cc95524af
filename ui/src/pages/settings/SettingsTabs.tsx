// The tabs of Settings: the scoring model, and the API keys and the
// cluster (admin only).
import { NavLink } from 'react-router-dom'
import { useAccess } from '../../access'

export function SettingsTabs() {
  const { canAdmin } = useAccess()
  return (
    <nav className="settings-tabs" aria-label="Settings sections">
      <NavLink to="/settings" end>
        Scoring
      </NavLink>
      {canAdmin && (
        <NavLink to="/settings/keys" data-testid="settings-keys-tab">
          Keys
        </NavLink>
      )}
      {canAdmin && (
        <NavLink to="/settings/cluster" data-testid="settings-cluster-tab">
          Cluster
        </NavLink>
      )}
    </nav>
  )
}
