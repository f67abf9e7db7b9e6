// Package compose holds the test that loads docker-compose.yml with the Compose specification's own loader; it has no code of its own.
package compose
