package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kubedrift/kubedrift/drift"
)

// Judge is what a Watch judges the desired state through: kubedrift watch's
// session, which reads the sources, judges them and watches the live
// objects of the last check.
type Judge interface {
	// CheckAll judges everything, from the sources read again; connErr
	// says the cluster could not be reached at all.
	CheckAll(ctx context.Context) (rep *drift.Report, inputErrs []error, connErr error)
	// Recheck judges ref's object afresh; false when no manifest declares
	// it any more.
	Recheck(ctx context.Context, ref drift.Ref) (drift.Result, bool)
	// Changes are the objects whose live state changed, Errors the
	// problems of the watches, and Reconnects the cluster answering
	// again after it was lost.
	Changes() <-chan drift.Ref
	Errors() <-chan error
	Reconnects() <-chan struct{}
}

// Observer is told what a Watch sees: kubedrift watch's log and metrics.
type Observer interface {
	// Verdict is a verdict that changed from prev (the status it had;
	// none when first).
	Verdict(r *drift.Result, prev drift.Status, first bool)
	// DriftEvent is an object that became drifted or missing.
	DriftEvent()
	// Counts are the objects by status, after each verdict; the map is
	// the Watch's own, to read at once.
	Counts(byStatus map[drift.Status]int)
	// Checked is a check of everything, with the problems of its input.
	Checked(rep *drift.Report, problems []error)
	// Reached is a check of everything that reached the cluster.
	Reached()
	Problem(err error)
	Info(msg string)
}

// Watch keeps judging the desired state: it checks everything, then judges
// each object again as its live object changes, and everything again every
// Resync, telling Observer each verdict that changed and Auto (when set) the
// objects to put back. It belongs to one goroutine.
type Watch struct {
	Judge    Judge
	Observer Observer
	// Auto, when not nil, is offered every verdict that changed.
	Auto   *Auto
	Resync time.Duration
	// NeedsCluster says some sources (--release) cannot be read without
	// the cluster.
	NeedsCluster bool

	verdicts *verdicts
	// retry is how long to wait before the next check after one that did
	// not reach the cluster; 0 after one that did.
	retry time.Duration
}

// Retries of a check that did not reach the cluster: from checkRetryMin,
// doubling, to Resync.
const checkRetryMin = 5 * time.Second

// Run watches until ctx ends. Its error is one found at the start:
// manifests that cannot be read.
func (w *Watch) Run(ctx context.Context) error {
	w.verdicts = newVerdicts()
	rep, inputErrs, connErr := w.Judge.CheckAll(ctx)
	// Unreadable manifests at the start are a mistake to fix, not a state
	// to watch from: watch would judge a part of the desired state for as
	// long as it runs. Without the cluster, a release cannot be read, so
	// the errors may be the cluster's.
	if len(inputErrs) > 0 && (connErr == nil || !w.NeedsCluster) {
		return fmt.Errorf("the desired state cannot be read:\n%w", errors.Join(inputErrs...))
	}
	timer := time.NewTimer(w.next(w.judged(rep, inputErrs, connErr)))
	defer timer.Stop()
	changes := w.Judge.Changes()
	for {
		select {
		case <-ctx.Done():
			w.Observer.Info("stopped")
			return nil
		case ref := <-changes:
			for _, ref := range drain(changes, ref) {
				w.recheck(ctx, ref)
			}
		case err := <-w.Judge.Errors():
			w.Observer.Problem(err)
		case <-w.Judge.Reconnects():
			w.Observer.Info("the cluster answers again: judging everything again")
			timer.Reset(w.next(w.check(ctx)))
		case <-timer.C:
			timer.Reset(w.next(w.check(ctx)))
		}
	}
}

// next returns how long to wait for the next check of everything: Resync
// after one that reached the cluster, a growing while after one that did
// not.
func (w *Watch) next(reached bool) time.Duration {
	if reached {
		w.retry = 0
		return w.Resync
	}
	w.retry = min(max(2*w.retry, checkRetryMin), w.Resync)
	return w.retry
}

// check judges everything again, from the sources read again, and reports
// whether it reached the cluster.
func (w *Watch) check(ctx context.Context) bool {
	rep, inputErrs, connErr := w.Judge.CheckAll(ctx)
	if ctx.Err() != nil {
		return true
	}
	return w.judged(rep, inputErrs, connErr)
}

// judged tells of a check of everything, records its verdicts, and reports
// whether it reached the cluster: it connected, and no object failed to be
// judged for want of it.
func (w *Watch) judged(rep *drift.Report, inputErrs []error, connErr error) bool {
	for _, err := range inputErrs {
		w.Observer.Problem(err)
	}
	if connErr != nil {
		w.Observer.Problem(connErr)
		return false
	}
	for _, err := range rep.Problems {
		w.Observer.Problem(err)
	}
	unreached := false
	for i := range rep.Results {
		w.observe(&rep.Results[i])
		unreached = unreached || rep.Results[i].Reason == drift.ReasonUnreachable
	}
	w.verdicts.keepOnly(rep.Results)
	w.Observer.Counts(w.verdicts.counts())
	w.Observer.Checked(rep, append(inputErrs, rep.Problems...))
	if unreached {
		return false
	}
	w.Observer.Reached()
	return true
}

// recheck judges the object ref names again, after its live object
// changed.
func (w *Watch) recheck(ctx context.Context, ref drift.Ref) {
	r, ok := w.Judge.Recheck(ctx, ref)
	if !ok || ctx.Err() != nil {
		return
	}
	w.observe(&r)
	w.Observer.Counts(w.verdicts.counts())
}

// observe records a verdict and, when it changed, says so: to the
// Observer (unless it is an object's first and it is in sync), as a drift
// event, and to Auto.
func (w *Watch) observe(r *drift.Result) {
	c := w.verdicts.record(r)
	if !c.Changed {
		return
	}
	if c.driftEvent(r.Status) {
		w.Observer.DriftEvent()
	}
	if !c.First || r.Status != drift.InSync {
		w.Observer.Verdict(r, c.Previous, c.First)
	}
	if w.Auto != nil {
		w.Auto.Offer(r)
	}
}

// drain returns first and the refs waiting on ch after it, each once, in
// the order they came: a rollout changes a Deployment many times in a
// second, and one judgement after the last change says all.
func drain(ch <-chan drift.Ref, first drift.Ref) []drift.Ref {
	refs := []drift.Ref{first}
	seen := map[drift.Ref]bool{first: true}
	for {
		select {
		case ref := <-ch:
			if !seen[ref] {
				seen[ref] = true
				refs = append(refs, ref)
			}
		default:
			return refs
		}
	}
}
