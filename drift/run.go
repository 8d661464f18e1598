package drift

import (
	"context"
	"runtime"
	"sync"
)

// maxUnjudged is how many live objects may have been read, or asked for in
// pages not yet read, and not yet judged: the next list, or the next page
// of a list, waits until its page fits. A live object takes a few times its
// JSON in memory, and its managedFields, most of it, are let go once it is
// judged: reading every list before judging would hold them all at once.
// Room for one page holds no fewer objects at once than the judges need:
// at 10,000 objects of nine kinds its peak RSS was about 10 MB lower than
// with room for two, in the same time, and about 20 MB lower than before a
// page asked for was counted, when the first pages of eight lists were read
// at once.
const maxUnjudged = 500

// pageSize is how many objects one page of a list asks for (PageLister).
const pageSize = 500

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
	roomy    *sync.Cond // signalled when unjudged or asked falls
	unjudged int        // objects read and not yet judged
	asked    int        // objects the pages asked for and not read may bring

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

// room waits until a page of n objects fits under maxUnjudged beside the
// objects read and not judged and the pages asked for, or until there are
// none, and counts the page as asked for. The judges judge on when ctx
// ends, so that this ends too.
func (c *checkRun) room(n int) {
	c.mu.Lock()
	for c.unjudged+c.asked > 0 && c.unjudged+c.asked+n > maxUnjudged {
		c.roomy.Wait()
	}
	c.asked += n
	c.mu.Unlock()
}

// read counts n objects read, in a page of asked objects that room counted
// (0 for objects read otherwise); judged counts one of them judged.
func (c *checkRun) read(n, asked int) {
	c.mu.Lock()
	c.unjudged += n
	c.asked -= asked
	c.mu.Unlock()
	if asked > n {
		c.roomy.Broadcast()
	}
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
