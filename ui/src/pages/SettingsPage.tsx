// Placeholder until the page lands (being built in this change).
export default function SettingsPage() {
  return <div className="page"><h1>SettingsPage</h1></div>
}
