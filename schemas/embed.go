package schemas

import "embed"

// FS holds the JSON Schema files (*.schema.json) of this directory, embedded at build time.
// Their $id URLs start with [BaseURL] followed by the file name.
//
//go:embed *.schema.json
var FS embed.FS
