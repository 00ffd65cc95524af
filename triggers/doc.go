// Package triggers holds the trigger node types: each file registers one
// type (trigger.page_visited, trigger.tag_added…) with its config spec and
// the matcher its constructor compiles once per flow version. The engine
// indexes compiled triggers by Key and calls Match for every event of that
// key, so Match is kept cheap.
package triggers
