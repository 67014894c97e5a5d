module github.com/iosphotofs/iosphotofs

go 1.26.8

require (
	github.com/fsnotify/fsnotify v1.10.1
	github.com/gen2brain/heic v0.7.1
	github.com/hanwen/go-fuse/v2 v2.12.1
	golang.org/x/sys v0.44.0
	golang.org/x/term v0.36.0
	golang.org/x/text v0.30.0
	howett.net/plist v1.0.1
	modernc.org/sqlite v1.44.3
)

require (
	github.com/dustin/go-humanize v1.0.1 // indirect
	github.com/ebitengine/purego v0.10.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/ncruces/go-strftime v1.0.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	github.com/tetratelabs/wazero v1.12.0 // indirect
	golang.org/x/exp v0.0.0-20251023183803-a4bb9ffd2546 // indirect
	modernc.org/libc v1.67.6 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.11.0 // indirect
)
