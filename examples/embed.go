// Package examples ships ready-made flows, segments and settings: the
// reference scoring model (a marketer's real scoring sheet as flows) and the
// disqualification playbook, which `scoreflow serve --examples` loads into an
// empty database.
package examples

import "embed"

// Reference is the reference scoring model: settings.json and flows/*.json.
//
//go:embed reference/settings.json reference/flows/*.json
var Reference embed.FS

// Playbook is the disqualification playbook: segments/*.json and flows/*.json.
//
//go:embed playbook/segments/*.json playbook/flows/*.json
var Playbook embed.FS
