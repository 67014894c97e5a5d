package convert

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/iosphotofs/iosphotofs/meta/media"
)

// ReaderAtCloser is an open source file.
type ReaderAtCloser interface {
	io.ReaderAt
	io.Closer
}

// Source opens the HEIC a job converts, and says its size.
type Source func() (ReaderAtCloser, int64, error)

// Pool converts files in the background (jobs queued by Prefetch, in
// order) and on demand (Size jumps the queue), with at most so many
// workers and so much memory in use at once.
type Pool struct {
	cache   *Cache
	quality int
	// Failed, if set, is told of every file that could not be converted
	// (by its name).
	Failed func(name string, err error)
	// Log, if set, is told at info level of each file libheif could not
	// decode and which decoder took it.
	Log *slog.Logger
	// Fallback, if set, converts a HEIC that libheif could not decode
	// (ErrLibheif) another way: the command runs gen2brain/heic's WASM
	// decoder in a child process, whose choice of decoder is its own.
	Fallback func(r io.ReaderAt, size int64, quality int) ([]byte, error)
	// Converted counts the conversions done (not taken from the cache).
	Converted atomic.Int64

	mu       sync.Mutex
	wake     *sync.Cond // a job was queued, or the pool closed
	memFree  *sync.Cond // memory was released
	queue    []*Job
	closed   bool
	memLimit int64
	memUsed  int64
	workers  sync.WaitGroup
}

// bytesPerPixel estimates a conversion's peak memory: the decoded image
// (4 bytes a pixel), the decoder's own planes and, in the WASM path, its
// memory, and the encoder's. Measured: one 24 MP iPhone photo through the
// WASM decoder peaks at 1.4 GB of RSS, about 58 bytes a pixel.
const bytesPerPixel = 64

// NewPool starts workers converting at quality into cache, keeping the
// estimated memory of the decodes in flight under memLimit (one decode
// larger than that still runs, alone).
func NewPool(cache *Cache, quality, workers int, memLimit int64) *Pool {
	p := &Pool{cache: cache, quality: quality, memLimit: memLimit}
	p.wake, p.memFree = sync.NewCond(&p.mu), sync.NewCond(&p.mu)
	for range max(workers, 1) {
		p.workers.Go(p.work)
	}
	return p
}

// Close stops the workers once the job each is on is done.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	p.wake.Broadcast()
	p.mu.Unlock()
	p.workers.Wait()
}

func (p *Pool) work() {
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && !p.closed {
			p.wake.Wait()
		}
		if p.closed {
			p.mu.Unlock()
			return
		}
		j := p.queue[0]
		p.queue = p.queue[1:]
		p.mu.Unlock()
		j.run(false)
	}
}

// reserve waits until n more bytes fit under the limit (or nothing else
// runs), and takes them.
func (p *Pool) reserve(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.memUsed > 0 && p.memUsed+n > p.memLimit {
		p.memFree.Wait()
	}
	p.memUsed += n
}

func (p *Pool) release(n int64) {
	p.mu.Lock()
	p.memUsed -= n
	p.memFree.Broadcast()
	p.mu.Unlock()
}

// Job states.
const (
	idle = iota
	queued
	running
	done
)

// Job is one file's conversion.
type Job struct {
	pool *Pool
	name string // for messages
	key  string
	src  Source

	mu    sync.Mutex
	state int
	over  chan struct{} // closed when done
	size  int64
	err   error
}

// Job returns the conversion of src, a file identity names (its source,
// path, size and mtime; name says which it is in messages): already done
// if the cache has it (or knows it fails) at this quality and encoder
// version.
func (p *Pool) Job(identity, name string, src Source) *Job {
	key := Key(identity, strconv.Itoa(p.quality), strconv.Itoa(EncoderVersion))
	j := &Job{pool: p, name: name, key: key, src: src, over: make(chan struct{})}
	if size, failed, ok := p.cache.Lookup(key); ok {
		j.finish(size, failure(failed))
	}
	return j
}

func failure(reason string) error {
	if reason == "" {
		return nil
	}
	return fmt.Errorf("cannot be converted: %s", reason)
}

// Ready reports whether the job is done (its size or error known).
func (j *Job) Ready() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state == done
}

// Prefetch queues the job for a worker, unless it is on its way.
func (j *Job) Prefetch() {
	j.mu.Lock()
	if j.state != idle {
		j.mu.Unlock()
		return
	}
	j.state = queued
	j.mu.Unlock()
	p := j.pool
	p.mu.Lock()
	p.queue = append(p.queue, j)
	p.wake.Signal()
	p.mu.Unlock()
}

// Size converts the file now (or waits for the worker already on it) and
// returns the converted file's size.
func (j *Job) Size() (int64, error) {
	j.run(true)
	<-j.over
	return j.size, j.err
}

// Open opens the converted file. One the cache evicted since is made
// again; it is served only if it has the size already shown.
func (j *Job) Open() (*os.File, error) {
	size, err := j.Size()
	if err != nil {
		return nil, err
	}
	f, err := j.pool.cache.Open(j.key)
	if errors.Is(err, fs.ErrNotExist) {
		var again int64
		if again, err = j.convert(); err == nil && again != size {
			err = fmt.Errorf("convert: made again, the JPEG has %d bytes, not %d: %w", again, size, syscall.EIO)
		}
		if err == nil {
			f, err = j.pool.cache.Open(j.key)
		}
	}
	return f, err
}

// run converts unless the job is taken: by a worker, or (now) by a
// caller jumping the queue; a queued job a worker meets later is skipped.
func (j *Job) run(now bool) {
	j.mu.Lock()
	if j.state == running || j.state == done || (j.state == idle && !now) {
		j.mu.Unlock()
		return
	}
	j.state = running
	j.mu.Unlock()
	size, err := j.convert()
	if err != nil && j.pool.Failed != nil {
		j.pool.Failed(j.name, err)
	}
	j.finish(size, err)
}

func (j *Job) finish(size int64, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.state == done {
		return
	}
	j.size, j.err, j.state = size, err, done
	close(j.over)
}

// Check reads the file's headers, unless the job is under way or done,
// and fails the job at once (remembering why) when they show it cannot be
// converted: not a HEIF file, or cut short. A listing calls it before it
// shows the copy's name, which would otherwise appear and then vanish.
func (j *Job) Check() {
	j.mu.Lock()
	idle := j.state == idle
	j.mu.Unlock()
	if !idle {
		return
	}
	r, size, err := j.src()
	if err != nil {
		return // the conversion will say why
	}
	defer r.Close()
	if _, err := j.headers(r, size); err != nil {
		j.finish(0, err)
	}
}

// errCut says why a HEIC cut short is not converted.
var errCut = errors.New("the file is cut short (its image data runs past its end)")

// headers reads what the conversion needs from the file's headers; a file
// they show cannot be converted is remembered as such.
func (j *Job) headers(r io.ReaderAt, size int64) (media.HEIFMeta, error) {
	meta, err := media.ReadHEIFMeta(r, size)
	if meta.Cut {
		err = errCut
	}
	if err != nil {
		j.pool.cache.PutFailure(j.key, err.Error())
	}
	return meta, err
}

func (j *Job) convert() (int64, error) {
	p := j.pool
	r, size, err := j.src()
	if err != nil {
		return 0, err // the source is unreadable now, perhaps not later: not remembered
	}
	defer r.Close()
	meta, err := j.headers(r, size)
	if err != nil {
		return 0, err
	}
	need := int64(meta.Width) * int64(meta.Height) * bytesPerPixel
	if need <= 0 {
		need = p.memLimit // unknown: as if it were the largest
	}
	need = min(need, p.memLimit)
	p.reserve(need)
	out, err := HEICToJPEG(r, size, p.quality)
	if errors.Is(err, ErrLibheif) && p.Fallback != nil {
		var ferr error
		if out, ferr = p.Fallback(r, size, p.quality); ferr != nil {
			err = fmt.Errorf("%v; then %w", err, ferr)
		} else {
			if p.Log != nil {
				p.Log.Info("converted by the fallback decoder (libheif could not)", "file", j.name, "libheif", err)
			}
			err = nil
		}
	}
	p.release(need)
	if err != nil {
		p.cache.PutFailure(j.key, err.Error())
		return 0, err
	}
	p.Converted.Add(1)
	if err := p.cache.Put(j.key, out); err != nil {
		return 0, fmt.Errorf("convert: caching the JPEG: %w", err)
	}
	return int64(len(out)), nil
}
