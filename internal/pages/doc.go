// Package pages renders authgo's built-in HTML pages: sign-in, sign-out,
// error, verify-request, and the landing and not-found pages of
// `authgo serve`.
//
// Every page is a complete, self-contained HTML document. The stylesheet is
// embedded in the binary and inlined in a <style> element, so a page costs one
// request, needs no JavaScript, and loads no fonts, images or scripts from
// anywhere else. Pages follow the system light or dark colour scheme.
// Provider buttons carry marks drawn as inline SVG, and a [Brand.Logo] is
// embedded as a data: URI.
//
// The render functions take plain data structs and write to an [io.Writer].
// They render into a buffer first, so a failed render writes nothing and the
// caller can still answer with an error status. They do not set headers; the
// caller sets Content-Type "text/html; charset=utf-8", the status (see
// [ErrorStatus]) and, ideally, the header returned by [ContentSecurityPolicy].
//
// # Untrusted input
//
// Every value is escaped by html/template for the context it lands in, and
// URLs with unsafe schemes (javascript:, data:, …) are replaced with a
// harmless placeholder. Error codes taken from the query string are never
// echoed: they only select one of a fixed set of messages, and an unknown
// code selects the default message.
//
// The templates are parsed once when the package is initialised; all
// functions are safe for concurrent use.
package pages
