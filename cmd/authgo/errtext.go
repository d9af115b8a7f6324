package main

import "strings"

// trimPrefix returns err's message without a leading "authgo: ". The
// library's errors start with it and so does every line errorf prints, so
// printing one through the other would say it twice.
func trimPrefix(err error) string {
	return strings.TrimPrefix(err.Error(), "authgo: ")
}
