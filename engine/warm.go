package engine

import "context"

// Warm loads the current flows and settings now, in an empty unit of work on
// the apply loop, so the next batch does not pay for compiling them (with
// 10,000 flows that takes a few hundred milliseconds). bench calls it before
// it starts the clock.
func (e *Engine) Warm(ctx context.Context) error {
	return e.do(ctx, func(*unit) error { return nil })
}
