// Placeholder until the page lands (being built in this change).
export default function SegmentEditor() {
  return <div className="page"><h1>SegmentEditor</h1></div>
}
