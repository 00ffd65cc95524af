// Placeholder until the page lands (being built in this change).
export default function FlowList() {
  return <div className="page"><h1>FlowList</h1></div>
}
