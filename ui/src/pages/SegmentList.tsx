// Placeholder until the page lands (being built in this change).
export default function SegmentList() {
  return <div className="page"><h1>SegmentList</h1></div>
}
