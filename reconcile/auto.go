package reconcile

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/util/workqueue"

	"github.com/kubedrift/kubedrift/drift"
)

// Source is what Auto judges objects and reconciles them through: the last
// check of a watch, which knows each object's manifest, client and engine.
type Source interface {
	// Recheck judges ref's object afresh; false when no manifest declares
	// it any more.
	Recheck(ctx context.Context, ref drift.Ref) (drift.Result, bool)
	// Reconcile reconciles ref's object as opts says; false when no
	// manifest declares it any more.
	Reconcile(ctx context.Context, ref drift.Ref, opts ReconcileOptions) (Outcome, bool)
}

// AutoResult is what one attempt of Auto came to, as a metric counts it.
type AutoResult string

const (
	// AutoApplied: written, and in sync afterwards.
	AutoApplied AutoResult = "applied"
	// AutoFailed: refused, not judged, or not in sync afterwards; tried
	// again with backoff.
	AutoFailed AutoResult = "failed"
	// AutoSkipped: nothing to do by then, or not Auto's to do.
	AutoSkipped AutoResult = "skipped"
)

// AutoResults are every AutoResult.
var AutoResults = []AutoResult{AutoApplied, AutoFailed, AutoSkipped}

// Attempt is one attempt of Auto at one object, for its report.
type Attempt struct {
	Ref    drift.Ref
	Result AutoResult
	// Skipped says why nothing was written, when Result is AutoSkipped.
	Skipped string
	// Unjudged is the fresh verdict when it was an Error: nothing was
	// written.
	Unjudged *drift.Result
	// Outcome is the write's, when one was tried.
	Outcome *Outcome
}

// AutoOptions are what Auto may do beyond applying a manifest's own fields.
type AutoOptions struct {
	// Selector picks the objects Auto reconciles, by their labels.
	Selector labels.Selector
	// TakeFromPeople takes back the fields people changed by hand
	// (people.yaml): watch --auto-reconcile --force-conflicts.
	TakeFromPeople bool
	// TakeFrom are field managers (globs) whose fields Auto takes too: a
	// rule that names a controller Auto may overrule. Without one, a
	// controller's field is never taken.
	TakeFrom []string
}

// Auto is a controller that nobody watches: it is offered every verdict
// that changed, queues the drifted and missing objects the selector picks,
// and puts them back one at a time, each judged afresh, then applied after
// a dry run of the same request. It never deletes and never recreates,
// takes no field from a controller unless AutoOptions names it, and leaves
// alone objects that another controller keeps (Flux, Argo CD, Helm).
//
// A failed attempt is queued again with a per-object exponential backoff,
// and all attempts together are held to an overall rate, as client-go's
// controllers do; a success or a skip forgets the object's failures.
type Auto struct {
	source   Source
	selector labels.Selector
	opts     ReconcileOptions
	queue    workqueue.TypedRateLimitingInterface[drift.Ref]
	report   func(Attempt)
}

// Backoff of a failed attempt: from retryBase, doubling, to retryMax. Each
// attempt is a line in the log and a dry run, and what refuses a reconcile
// (a conflict, a webhook, an unreachable cluster) rarely clears within
// milliseconds, client-go's default start; its cap is client-go's.
const (
	retryBase = time.Second
	retryMax  = 1000 * time.Second
)

// NewAuto returns an Auto that reconciles through source and tells report
// of every attempt.
func NewAuto(source Source, opts AutoOptions, report func(Attempt)) *Auto {
	// The shape of client-go's DefaultTypedControllerRateLimiter, with
	// its overall bucket: 10 attempts a second, in bursts of 100.
	limiter := workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[drift.Ref](retryBase, retryMax),
		&workqueue.TypedBucketRateLimiter[drift.Ref]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
	return &Auto{
		source:   source,
		selector: opts.Selector,
		opts:     ReconcileOptions{TakeFromPeople: opts.TakeFromPeople, TakeFrom: opts.TakeFrom, DryRunFirst: true},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(limiter, workqueue.TypedRateLimitingQueueConfig[drift.Ref]{
			Name: "kubedrift-auto-reconcile",
		}),
		report: report,
	}
}

// Offer queues r's object when a reconcile would act on it: it is drifted
// or missing, and the selector picks it.
func (a *Auto) Offer(r *drift.Result) {
	if (r.Status == drift.Drifted || r.Status == drift.Missing) && a.Selects(r) {
		a.queue.Add(r.Ref)
	}
}

// Selects reports whether the selector picks r's object, by the labels of
// the live object: what someone did to it since decides, and an object
// whose label was taken off is no longer Auto's to reconcile. A missing
// object has no live labels; the desired object's count.
func (a *Auto) Selects(r *drift.Result) bool {
	obj := r.Live
	if obj == nil {
		obj = r.Want
	}
	return obj != nil && a.selector.Matches(labels.Set(obj.GetLabels()))
}

// Run works the queue until ctx ends, and returns once the attempt in
// flight has ended.
func (a *Auto) Run(ctx context.Context) {
	go func() {
		<-ctx.Done()
		a.queue.ShutDown()
	}()
	for a.next(ctx) {
	}
}

// next makes one attempt at the next queued object; false when the queue
// is shut down.
func (a *Auto) next(ctx context.Context) bool {
	ref, shutdown := a.queue.Get()
	if shutdown {
		return false
	}
	defer a.queue.Done(ref)
	at := a.attempt(ctx, ref)
	if ctx.Err() != nil {
		return true // cut short; the queue is shutting down
	}
	a.report(at)
	if at.Result == AutoFailed {
		a.queue.AddRateLimited(ref)
	} else {
		a.queue.Forget(ref)
	}
	return true
}

// attempt judges ref's object afresh and, if a reconcile is still due and
// allowed, makes it.
func (a *Auto) attempt(ctx context.Context, ref drift.Ref) Attempt {
	skip := func(why string) Attempt { return Attempt{Ref: ref, Result: AutoSkipped, Skipped: why} }
	r, ok := a.source.Recheck(ctx, ref)
	switch {
	case ctx.Err() != nil:
		return skip("cut short")
	case !ok:
		return skip("no manifest declares it any more")
	case r.Status == drift.Error:
		return Attempt{Ref: ref, Result: AutoFailed, Unjudged: &r}
	case r.Status != drift.Drifted && r.Status != drift.Missing:
		return skip(r.Status.String() + " by now")
	case !a.Selects(&r):
		return skip("its labels no longer match the selector")
	case r.Controller != nil:
		return skip(fmt.Sprintf("managed by %s, which would fight the change: %s", r.Controller, r.Controller.Fights()))
	}
	opts := a.opts
	opts.LeftOut = drift.LeftOut(r)
	oc, ok := a.source.Reconcile(ctx, ref, opts)
	if !ok {
		return skip("no manifest declares it any more")
	}
	at := Attempt{Ref: ref, Result: AutoApplied, Outcome: &oc}
	if oc.Err != nil || oc.Verdict == nil || oc.Verdict.Status != drift.InSync {
		at.Result = AutoFailed
	}
	return at
}
