//go:build !windows

package fs

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/iosphotofs/iosphotofs/model"
)

// Server is a live mount.
type Server struct {
	*fuse.Server
	Mountpoint  string
	passthrough bool
	fsys        *fileSystem
}

// Mount serves tree at mountpoint, read-only, and returns once the kernel
// has the mount.
func Mount(tree *model.Tree, mountpoint string, opt Options) (*Server, error) {
	fsys := newFileSystem(tree, opt)
	fsName := opt.FsName
	if fsName == "" {
		fsName = "iosphotofs"
	}
	// noexec: a program stored in a backup is data, not something to run.
	options := []string{"ro", "default_permissions", "noexec"}
	if runtime.GOOS == "darwin" {
		// Finder: the device's name on the volume, and no ._ files (the
		// mount refuses them anyway).
		options = append(options, "volname="+strings.ReplaceAll(fsName, ",", " "), "noappledouble")
	}
	mo := fuse.MountOptions{
		FsName:     fsName,
		Name:       "iosphotofs",
		AllowOther: opt.AllowOther,
		Debug:      opt.Debug,
		// "ro" must be explicit: a direct mount(2) is read-write otherwise.
		Options:          options,
		DirectMount:      os.Geteuid() == 0,
		DirectMountFlags: directMountFlags,
		MaxReadAhead:     1 << 20,
		// READDIRPLUS_AUTO: the kernel asks for attributes with a listing
		// only where they are used (the first chunk of a folder, then only
		// once a name in it was looked up), so `find` does not pay for
		// attributes it never reads while `ls -l` and rsync still get them
		// in bulk.
		ExtraCapabilities:    fuse.CAP_READDIRPLUS_AUTO,
		EnableSymlinkCaching: true, // a changed symlink is a changed node: Swap invalidates it
	}
	server, err := fuse.NewServer(fsys, mountpoint, &mo)
	if err != nil {
		return nil, fmt.Errorf("mount %s: %w", mountpoint, err)
	}
	go server.Serve()
	if err := server.WaitMount(); err != nil {
		server.Unmount()
		return nil, fmt.Errorf("mount %s: %w", mountpoint, err)
	}
	return &Server{Server: server, Mountpoint: mountpoint, passthrough: !opt.NoPassthrough, fsys: fsys}, nil
}

// Swap serves a new tree of the same source from now on, and tells the
// kernel to forget exactly what changed: the names added, removed or
// changed, and the listings of their folders. Files open from the old
// tree keep reading. It returns how many names changed.
func (s *Server) Swap(tree *model.Tree) int {
	// The WAL companions handed out stay (before the swap, and again after
	// it for any handed out meanwhile).
	tree.Adopt(s.fsys.tree.Load())
	old := s.fsys.swap(tree)
	tree.Adopt(old)
	changes, dirs := model.Diff(old, tree)
	// No lock is held here: the kernel may call back while it forgets.
	for _, c := range changes {
		s.EntryNotify(c.Parent, c.Name)
		if c.Old != 0 {
			s.InodeNotify(c.Old, 0, 0)
		}
	}
	for _, d := range dirs {
		s.InodeNotify(d, 0, 0)
	}
	return len(changes)
}

// Passthrough reports whether the kernel offered passthrough reads and we
// may use them (CAP_SYS_ADMIN, approximated by root).
func (s *Server) Passthrough() (on bool, why string) {
	if !s.passthrough {
		return false, "turned off (Options.NoPassthrough)"
	}
	if s.KernelSettings().Flags64()&fuse.CAP_PASSTHROUGH == 0 {
		return false, "the kernel does not offer it (needs Linux >= 6.9)"
	}
	if os.Geteuid() != 0 {
		return false, "needs CAP_SYS_ADMIN (run as root)"
	}
	return true, "kernel reads source files directly"
}
