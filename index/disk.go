package index

import (
	"runtime"
	"sync"
)

// ioWorkers is how many files the build opens at once where it waits on
// the disk.
const ioWorkers = 32

// onDisk calls fn for each item, from many goroutines: for a step that
// opens and reads many small files, which waits on the disk more than the
// CPU (with a cold cache, 32 reads in flight take a third of the time 2
// do). Go runs at most GOMAXPROCS threads, and one blocked in a read gives
// its place up only when the runtime's monitor notices, so the reads would
// wait on each other, not on the disk (recovering 100,000 payloads: 4.7 s
// with 2, 1.5 s with 32): GOMAXPROCS is raised while it runs. The rest of
// a build is CPU-bound, and faster with one thread a core.
func onDisk[T any](workers int, items []T, fn func(T)) {
	n := max(workers, ioWorkers)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(n, runtime.GOMAXPROCS(0))))
	jobs := make(chan T)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for it := range jobs {
				fn(it)
			}
		})
	}
	for _, it := range items {
		jobs <- it
	}
	close(jobs)
	wg.Wait()
}
