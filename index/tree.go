// Package index builds the tree of a source (package model): one builder
// per kind of source (a backup, plain or encrypted, with its recovery; a
// stream store; a folder of photos), the photo views over what they found,
// and info/. Every decision about what is shown where is made here;
// servers read the model only.
package index

import "github.com/iosphotofs/iosphotofs/model"

// Tree is a built tree, with what its info/ files report.
type Tree struct {
	*model.Tree
	report *report
}
