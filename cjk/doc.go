// Package cjk holds the typography of Chinese text as the product shows it.
//
// The company's policy and the catalogue quoting it were typed with ASCII
// punctuation inside Chinese sentences ("设备标识符,位置信息"). Chinese text
// takes the full-width forms (，：；（）！？), which sit on the character grid;
// the ASCII ones look cramped and break lines in the wrong places. The
// sources stay as published, since their hashes are what receipts and the
// policy's SHA-256 refer to; pages show them through Punctuate.
//
// Must not import: github.com/kaiconn/consent (any package of this module),
// net/http.
package cjk
