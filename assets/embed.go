// Package assets embeds the files Corpu serves or renders: the OpenAPI
// document, and later certificate templates, fonts and web pages.
package assets

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document served at /openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
