// Placeholder until the page lands (being built in this change).
export default function Dashboard() {
  return <div className="page"><h1>Dashboard</h1></div>
}
