// Package examples ships ready-made flows and settings: the reference
// scoring model (a marketer's real scoring sheet as flows) that
// `scoreflow serve --examples` loads into an empty database.
package examples

import "embed"

// Reference is the reference scoring model: settings.json and flows/*.json.
//
//go:embed reference/settings.json reference/flows/*.json
var Reference embed.FS
