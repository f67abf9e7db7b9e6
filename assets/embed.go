// Package assets embeds the files Corpu serves or renders: the OpenAPI
// document, the certificate fonts, and later templates and web pages.
package assets

import _ "embed"

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
