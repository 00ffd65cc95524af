// Placeholder until the page lands (being built in this change).
export default function ScoringMatrix() {
  return <div className="page"><h1>ScoringMatrix</h1></div>
}
