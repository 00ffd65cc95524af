// Placeholder until the page lands (being built in this change).
export default function FlowEditor() {
  return <div className="page"><h1>FlowEditor</h1></div>
}
