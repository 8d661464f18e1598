package drift

import (
	"context"
	"runtime"
	"sync"
)

// maxUnjudged is how many objects may have been read and not yet judged
// before the next list, or the next page of a list, waits to start. A live
// object takes a few times its JSON in memory, and its managedFields, most
// of it, are let go once it is judged: reading every list before judging
// would hold them all at once. At 10,000 objects, 1,000 here peaked 8 MB
// higher than 400, in no less time.
const maxUnjudged = 500

// checkRun is what the reading and the judging of one Check's objects
// share.
type checkRun struct {
	perms *permissions
	// cpu holds a token for each object being computed (merged, compared),
	// as many as there are cores: more computations at once only hold
	// more of what they allocate in memory at once.
	cpu chan struct{}
	// requests holds a token for each request in flight, lists, reads and
	// dry runs alike: Options.Workers of them.
	requests chan struct{}

	mu       sync.Mutex
	roomy    *sync.Cond // signalled when unjudged falls
	unjudged int        // objects read and not yet judged

	// crds are the schemas of the custom kinds, read once for offline
	// answers.
	crds crdSchemas
	// version is the cluster's, read once where offline mode's defaults
	// make a drift.
	version clusterVersion
}

func newCheckRun(e *Engine, spare bool) *checkRun {
	c := &checkRun{
		cpu:      make(chan struct{}, runtime.GOMAXPROCS(0)),
		requests: make(chan struct{}, e.opts.Workers),
	}
	c.roomy = sync.NewCond(&c.mu)
	c.perms = e.permissions(c, spare)
	return c
}

// request takes a request token, unless ctx ends first; done gives it back.
func (c *checkRun) request(ctx context.Context) bool {
	select {
	case c.requests <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *checkRun) done() { <-c.requests }

// room waits until fewer than maxUnjudged objects are read and not judged.
// The judges judge on when ctx ends, so that this ends too.
func (c *checkRun) room() {
	c.mu.Lock()
	for c.unjudged >= maxUnjudged {
		c.roomy.Wait()
	}
	c.mu.Unlock()
}

// read counts n objects read; judged counts one of them judged.
func (c *checkRun) read(n int) {
	c.mu.Lock()
	c.unjudged += n
	c.mu.Unlock()
}

func (c *checkRun) judged() {
	c.mu.Lock()
	c.unjudged--
	c.mu.Unlock()
	c.roomy.Broadcast()
}

// computing runs f holding a cpu token, and returns what it returns.
func (c *checkRun) computing(f func() bool) bool {
	c.cpu <- struct{}{}
	defer func() { <-c.cpu }()
	return f()
}

// parallel calls f for every item, with at most workers calls at once.
func parallel[T any](workers int, items []T, f func(T)) {
	jobs := make(chan T)
	var wg sync.WaitGroup
	for range min(workers, len(items)) {
		wg.Go(func() {
			for item := range jobs {
				f(item)
			}
		})
	}
	for _, item := range items {
		jobs <- item
	}
	close(jobs)
	wg.Wait()
}
