// Package assets embeds the files Corpu serves or renders: the OpenAPI
// document, the certificate fonts, and the web pages.
package assets

import "embed"

// OpenAPI is the OpenAPI 3.1 document served at /openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// CertificateFont and CertificateFontBold are DejaVu Serif, regular and bold
// (see fonts/README.md): certificate PDFs embed them.
var (
	//go:embed fonts/DejaVuSerif.ttf
	CertificateFont []byte
	//go:embed fonts/DejaVuSerif-Bold.ttf
	CertificateFontBold []byte
)

// Web holds the web pages' layout, templates (a folder per domain) and
// static files (styles and small hand-written scripts).
//
//go:embed web
var Web embed.FS
