// Package assets embeds the files Corpu serves or renders: the OpenAPI
// document, and later certificate templates, fonts and web pages.
package assets

import "embed"

// OpenAPI is the OpenAPI 3.1 document served at /openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Web holds the web pages' layout, templates (a folder per domain) and
// static files (styles and small hand-written scripts).
//
//go:embed web
var Web embed.FS
