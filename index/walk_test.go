package index

import "strings"

// Walk returns the node at a slash-separated path below n, or nil.
func (n *Node) Walk(path string) *Node {
	for _, part := range strings.Split(path, "/") {
		if part == "" {
			continue
		}
		if n = n.Child(part); n == nil {
			return nil
		}
	}
	return n
}
