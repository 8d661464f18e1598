package cli

import (
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/util/workqueue"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/reconcile"
)

// autoReconciler is the controller of kubedrift watch --auto-reconcile. The
// watch offers it every verdict that changed; it queues the drifted and
// missing objects the selector picks, and a worker puts them back one at a
// time: judged afresh, then applied as --apply would, after a dry run of
// the same request. It never deletes and never recreates, takes fields from
// other managers only with --force-conflicts, and leaves alone objects that
// another controller keeps. Each attempt is logged in one line.
//
// A failed attempt is queued again with a per-object exponential backoff,
// and all attempts together are held to an overall rate, as client-go's
// controllers do; a success or a skip forgets the object's failures.
type autoReconciler struct {
	s        *session
	selector labels.Selector
	opts     reconcile.ReconcileOptions
	queue    workqueue.TypedRateLimitingInterface[drift.Ref]
	events   *eventLog
	metrics  *watchMetrics
}

// Backoff of a failed attempt: from retryBase, doubling, to retryMax. Each
// attempt is a line in the log and a dry run, and what refuses a reconcile
// (a conflict, a webhook, an unreachable cluster) rarely clears within
// milliseconds, client-go's default start; its cap is client-go's.
const (
	retryBase = time.Second
	retryMax  = 1000 * time.Second
)

// takeFromPeople takes back the fields people changed by hand; a controller's
// fields are never taken.
func newAutoReconciler(s *session, selector labels.Selector, takeFromPeople bool, events *eventLog, metrics *watchMetrics) *autoReconciler {
	// The shape of client-go's DefaultTypedControllerRateLimiter, with
	// its overall bucket: 10 attempts a second, in bursts of 100.
	limiter := workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[drift.Ref](retryBase, retryMax),
		&workqueue.TypedBucketRateLimiter[drift.Ref]{Limiter: rate.NewLimiter(rate.Limit(10), 100)},
	)
	return &autoReconciler{
		s:        s,
		selector: selector,
		opts:     reconcile.ReconcileOptions{TakeFromPeople: takeFromPeople, DryRunFirst: true},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(limiter, workqueue.TypedRateLimitingQueueConfig[drift.Ref]{
			Name: "kubedrift-auto-reconcile",
		}),
		events:  events,
		metrics: metrics,
	}
}

// offer queues r's object when a reconcile would act on it: it is drifted
// or missing, and the selector picks it.
func (a *autoReconciler) offer(r *drift.Result) {
	if (r.Status == drift.Drifted || r.Status == drift.Missing) && a.selects(r) {
		a.queue.Add(r.Ref)
	}
}

// selects reports whether the selector picks r's object, by the labels of
// the live object: what someone did to it since decides, and an object
// whose label was taken off is no longer the watch's to reconcile. A
// missing object has no live labels; the desired object's count.
func (a *autoReconciler) selects(r *drift.Result) bool {
	obj := r.Live
	if obj == nil {
		obj = r.Want
	}
	return obj != nil && a.selector.Matches(labels.Set(obj.GetLabels()))
}

// run works the queue until ctx ends, and returns once the attempt in
// flight has ended.
func (a *autoReconciler) run(ctx context.Context) {
	go func() {
		<-ctx.Done()
		a.queue.ShutDown()
	}()
	for a.next(ctx) {
	}
}

// next makes one attempt at the next queued object; false when the queue
// is shut down.
func (a *autoReconciler) next(ctx context.Context) bool {
	ref, shutdown := a.queue.Get()
	if shutdown {
		return false
	}
	defer a.queue.Done(ref)
	result := a.reconcile(ctx, ref)
	if ctx.Err() != nil {
		return true // cut short; the queue is shutting down
	}
	a.metrics.reconciled(result)
	if result == reconcileFailed {
		a.queue.AddRateLimited(ref)
	} else {
		a.queue.Forget(ref)
	}
	return true
}

// reconcile judges ref's object afresh and, if a reconcile is still due
// and allowed, makes it, logging what it did.
func (a *autoReconciler) reconcile(ctx context.Context, ref drift.Ref) reconcileResult {
	skip := func(why string) reconcileResult {
		a.events.reconciled(ref, reconcileSkipped, nil, fmt.Sprintf("%-*s %s: %s", statusWidth, "skipped", ref, why))
		return reconcileSkipped
	}
	r, ok := a.s.Recheck(ctx, ref)
	switch {
	case ctx.Err() != nil:
		return reconcileSkipped
	case !ok:
		return skip("no manifest declares it any more")
	case r.Status == drift.Error:
		a.events.reconciled(ref, reconcileFailed, nil, fmt.Sprintf("%-*s %s: could not be judged again: %s: %v", statusWidth, "failed", ref, r.Reason, r.Err))
		return reconcileFailed
	case r.Status != drift.Drifted && r.Status != drift.Missing:
		return skip(r.Status.String() + " by now")
	case !a.selects(&r):
		return skip("its labels no longer match the selector")
	case r.Controller != nil:
		return skip(fmt.Sprintf("managed by %s, which would fight the change: %s", r.Controller, r.Controller.Fights()))
	}
	opts := a.opts
	opts.LeftOut = drift.LeftOut(r)
	oc, ok := a.s.reconcile(ctx, ref, opts)
	if !ok {
		return skip("no manifest declares it any more")
	}
	if ctx.Err() != nil {
		return reconcileSkipped
	}
	line, ok := describeAutoOutcome(oc)
	result := reconcileApplied
	if !ok {
		result = reconcileFailed
	}
	a.events.reconciled(ref, result, &oc, line)
	return result
}

// describeAutoOutcome words an outcome as --apply's describeOutcome does,
// except where the advice differs: watch never takes a controller's field,
// nor recreates an object.
func describeAutoOutcome(oc reconcile.Outcome) (string, bool) {
	if slices.ContainsFunc(oc.Conflicts, func(c reconcile.Conflict) bool { return c.Tool == "" }) {
		return fmt.Sprintf("%-*s %s: %s; watch never takes a field from a controller: remove it from the manifest or leave it out of the comparison (kubedrift ignore, or a preset: kubedrift ignore --presets)",
			statusWidth, "conflict", oc.Ref, describeConflicts(oc.Conflicts)), false
	}
	if oc.Immutable {
		return fmt.Sprintf("%-*s %s: the manifest changes a field that cannot change in place; watch never deletes an object to create it again (kubedrift --apply --recreate does)", statusWidth, "immutable", oc.Ref), false
	}
	return describeOutcome(oc)
}
