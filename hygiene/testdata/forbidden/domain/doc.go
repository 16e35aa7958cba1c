// Package domain stands for a domain package that must not know the web
// layer; it reaches it through rules, which is the violation the
// architecture test must report.
//
// Must not import: web.
package domain
