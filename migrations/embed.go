// Package migrations embeds the SQL migrations, applied by goose through
// `corpu migrate`. GORM never migrates the schema.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
