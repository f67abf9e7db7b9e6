package main

import (
	"fmt"
	"net"
)

// healthURL is the /healthz address of an API listening on addr (the value of
// CORPU_HTTP_ADDR; empty means the default :8080), reached from the same
// machine or container.
func healthURL(addr string) (string, error) {
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("healthcheck: CORPU_HTTP_ADDR=%q is not host:port: %w", addr, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
