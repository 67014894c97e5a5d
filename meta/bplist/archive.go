package bplist

import (
	"errors"
	"fmt"
)

// Archive is an NSKeyedArchiver plist: {$archiver, $version, $top: {root:
// UID}, $objects: [...]}. Its root object is $objects[$top.root] (not
// assumed to be at index 1).
type Archive struct {
	plist   Plist
	objects Value
	Root    Value
}

// maxChain bounds UID -> NS.data -> UID indirections.
const maxChain = 8

// Open decodes a keyed archive whose root object is a dict into a, which
// may be reused for the next one (decoders open one a manifest row). b is
// kept, not copied.
func (a *Archive) Open(b []byte) error {
	if err := a.plist.init(b); err != nil {
		return err
	}
	top, err := a.plist.Top()
	if err != nil {
		return err
	}
	if top.Kind() != Dict {
		return errors.New("bplist: archive: top object is not a dict")
	}
	// One pass over the top dict's few keys (this runs once a manifest row).
	var objects, tops Value
	for i := 0; i < top.Len(); i++ {
		switch string(top.KeyASCII(i)) {
		case "$objects":
			objects, err = top.Val(i)
		case "$top":
			tops, err = top.Val(i)
		}
		if err != nil {
			return err
		}
	}
	if objects.Kind() != Array || tops.Kind() != Dict {
		// Keys stored as UTF-16 (no writer seen does it): the slow way.
		objects, _, err = top.Get("$objects")
		if err == nil {
			tops, _, err = top.Get("$top")
		}
		if err != nil {
			return err
		}
	}
	if objects.Kind() != Array {
		return errors.New("bplist: archive: no $objects array")
	}
	if tops.Kind() != Dict {
		return errors.New("bplist: archive: no $top")
	}
	rootRef, ok, err := tops.Get("root")
	if err != nil || !ok {
		return errors.New("bplist: archive: no $top root")
	}
	a.objects = objects
	if a.Root, err = a.Resolve(rootRef); err != nil {
		return err
	}
	if a.Root.Kind() != Dict {
		return errors.New("bplist: archive: root object is not a dict")
	}
	return nil
}

// Resolve follows UIDs into $objects and unwraps NS.data / NS.string
// holders ({NS.data: UID(n)} too).
func (a *Archive) Resolve(v Value) (Value, error) {
	for range maxChain {
		if uid, ok := v.UID(); ok {
			if uid > uint64(a.objects.Len()) {
				return v, fmt.Errorf("bplist: archive: UID %d out of range", uid)
			}
			next, err := a.objects.Index(int(uid))
			if err != nil {
				return v, err
			}
			v = next
			continue
		}
		// Data and string holders are {NS.data|NS.string, $class}; bigger
		// dicts are objects of their own and not searched.
		if v.Kind() == Dict && v.Len() <= 3 {
			inner, ok, err := v.Get("NS.data")
			if err == nil && !ok {
				inner, ok, err = v.Get("NS.string")
			}
			if err != nil {
				return v, err
			}
			if ok {
				v = inner
				continue
			}
		}
		return v, nil
	}
	return v, errors.New("bplist: archive: UID chain too long")
}

// String returns the root object's string member key.
func (a *Archive) String(key string) (string, bool) {
	v, ok, err := a.Root.Get(key)
	if err != nil || !ok {
		return "", false
	}
	if v, err = a.Resolve(v); err != nil {
		return "", false
	}
	return v.Str()
}
