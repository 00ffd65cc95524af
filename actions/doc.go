// Package actions holds the condition and action node types: each file
// registers one type (condition.if, action.adjust_score…) with its config
// spec and the step its constructor compiles once per flow version. Steps
// change contacts only through flows.Effects, which the engine implements
// inside its transaction.
package actions
