package model

import "strings"

// Change is a name of a directory that a new tree adds, removes or
// changes: what the kernel may have cached about it must go.
type Change struct {
	Parent uint64 // the directory's inode number
	Name   string
	Old    uint64 // the inode number the name had, 0 if it is new
}

// Diff compares two trees of the same source: the names that differ, and
// the directories whose listings do (their cached listings must go).
// Directories present in both are compared below; the rest is new or
// gone as a whole.
func Diff(old, new *Tree) (changes []Change, dirs []uint64) {
	var walk func(o, n *Node)
	walk = func(o, n *Node) {
		differs := o.Ino != n.Ino
		oi, ni := 0, 0
		for oi < len(o.Children) || ni < len(n.Children) {
			var oc, nc *Node
			switch {
			case ni == len(n.Children):
				oc = o.Children[oi]
			case oi == len(o.Children):
				nc = n.Children[ni]
			default:
				switch c := strings.Compare(o.Children[oi].Name, n.Children[ni].Name); {
				case c < 0:
					oc = o.Children[oi]
				case c > 0:
					nc = n.Children[ni]
				default:
					oc, nc = o.Children[oi], n.Children[ni]
				}
			}
			if oc != nil {
				oi++
			}
			if nc != nil {
				ni++
			}
			switch {
			case oc == nil:
				changes = append(changes, Change{Parent: o.Ino, Name: nc.Name})
				differs = true
			case nc == nil:
				changes = append(changes, Change{Parent: o.Ino, Name: oc.Name, Old: oc.Ino})
				differs = true
			case oc.IsDir() && nc.IsDir() && oc.Ino == nc.Ino:
				walk(oc, nc)
			case !sameNode(oc, nc):
				changes = append(changes, Change{Parent: o.Ino, Name: oc.Name, Old: oc.Ino})
				differs = true
			}
		}
		if differs {
			dirs = append(dirs, o.Ino)
		}
	}
	walk(old.Root, new.Root)
	return changes, dirs
}

// Rendered is the Content of a file each tree makes anew from what it
// finds when first read (info/): its size is not known to compare, so
// Diff always counts it changed.
type Rendered interface {
	Sized
	Rendered()
}

// sameNode reports whether the kernel's picture of a file still holds.
func sameNode(a, b *Node) bool {
	if _, ok := b.Content.(Rendered); ok {
		return false
	}
	return a.Ino == b.Ino && a.Mode == b.Mode && a.Size == b.Size && a.Mtime == b.Mtime &&
		a.Ctime == b.Ctime && a.Nlink == b.Nlink && a.Target == b.Target && a.IsDir() == b.IsDir()
}
