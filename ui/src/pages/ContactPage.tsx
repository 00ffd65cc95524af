// Placeholder until the page lands (being built in this change).
export default function ContactPage() {
  return <div className="page"><h1>ContactPage</h1></div>
}
