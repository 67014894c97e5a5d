package extract

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/iosphotofs/iosphotofs/model"
)

// broken is a file the source cannot give.
type broken struct{}

func (broken) Open() (model.Reader, error) { return nil, errors.New("payload damaged") }

// A file the source cannot give is listed, and everything else is
// written; the run ends with ErrUnreadable.
func TestUnreadableFileDoesNotStopTheRun(t *testing.T) {
	file := func(name string, c model.Content, size int64) *model.Node {
		return &model.Node{Name: name, Ino: model.HashIno(name), Mode: model.MadeFile, Size: size, Mtime: 1, Content: c}
	}
	dir := &model.Node{Name: "d", Ino: model.HashIno("d"), Mode: model.MadeDir, Mtime: 1, Children: []*model.Node{
		file("a.txt", model.Bytes("aaa"), 3), file("b.bin", broken{}, 5), file("c.txt", model.Bytes("ccc"), 3),
	}}
	root := &model.Node{Ino: model.RootIno, Mode: model.MadeDir, Mtime: 1, Children: []*model.Node{dir}}
	nodes := []*model.Node{root, dir}
	nodes = append(nodes, dir.Children...)
	slices.SortFunc(nodes, func(a, b *model.Node) int { return cmp.Compare(a.Ino, b.Ino) })
	tree := model.New(root, nodes, map[*model.Node]*model.Node{dir: root}, nil)
	dest := t.TempDir()
	st, err := Run(tree, dest, Options{})
	if !errors.Is(err, ErrUnreadable) || len(st.Unreadable) != 1 || !strings.Contains(st.Unreadable[0], "b.bin: payload damaged") {
		t.Fatalf("err %v, unreadable %q", err, st.Unreadable)
	}
	for name, want := range map[string]string{"a.txt": "aaa", "c.txt": "ccc"} {
		if got, err := os.ReadFile(filepath.Join(dest, "d", name)); err != nil || string(got) != want {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "d", "b.bin")); err == nil {
		t.Error("the unreadable file was written")
	}
}
