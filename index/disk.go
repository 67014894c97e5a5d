package index

import "sync"

// ioWorkers is how many files the build opens at once where it waits on
// the disk (with a cold cache, 32 reads in flight take a third of the
// time 2 do).
const ioWorkers = 32

// onDisk calls fn for each item, from many goroutines: for a step that
// opens and reads many small files, which waits on the disk more than the
// CPU. The goroutines are a semaphore on the files open at once; the
// threads that run them are the Go runtime's to choose (GOMAXPROCS is a
// process-wide setting, not a library's: the command raises it once).
func onDisk[T any](workers int, items []T, fn func(T)) {
	n := min(max(workers, ioWorkers), len(items))
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
