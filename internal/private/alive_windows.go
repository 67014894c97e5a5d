package private

import "os"

// alive: on Windows the folders of processes that are gone are left to
// the system's cleaning of its temporary folder.
func alive(int) bool { return true }

func ownedByUs(os.FileInfo) bool { return false }
