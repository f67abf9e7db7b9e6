// Package configs embeds the default configuration so the binary runs with
// working local defaults even without the file beside it.
package configs

import _ "embed"

// Default is the content of configs/corpu.yaml.
//
//go:embed corpu.yaml
var Default []byte
