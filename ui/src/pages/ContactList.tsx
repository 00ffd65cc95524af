// Placeholder until the page lands (being built in this change).
export default function ContactList() {
  return <div className="page"><h1>ContactList</h1></div>
}
