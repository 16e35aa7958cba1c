// Package web stands for the layer the domain must not import.
//
// Must not import: domain.
package web
