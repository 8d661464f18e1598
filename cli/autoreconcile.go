package cli

import (
	"context"
	"fmt"
	"slices"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/reconcile"
)

// autoSource is the session as watch --auto-reconcile's controller
// (reconcile.Auto) judges and reconciles through it.
type autoSource struct{ *session }

func (s autoSource) Reconcile(ctx context.Context, ref drift.Ref, opts reconcile.ReconcileOptions) (reconcile.Outcome, bool) {
	return s.reconcile(ctx, ref, opts)
}

// reportAttempt logs one attempt of --auto-reconcile in a line, and counts
// it.
func reportAttempt(events *eventLog, metrics *watchMetrics) func(reconcile.Attempt) {
	return func(at reconcile.Attempt) {
		metrics.reconciled(at.Result)
		var line string
		switch {
		case at.Result == reconcile.AutoSkipped:
			line = fmt.Sprintf("%-*s %s: %s", statusWidth, "skipped", at.Ref, at.Skipped)
		case at.Unjudged != nil:
			line = fmt.Sprintf("%-*s %s: could not be judged again: %s: %v", statusWidth, "failed", at.Ref, at.Unjudged.Reason, at.Unjudged.Err)
		default:
			line, _ = describeAutoOutcome(*at.Outcome)
		}
		events.reconciled(at.Ref, at.Result, at.Outcome, line)
	}
}

// describeAutoOutcome words an outcome as --apply's describeOutcome does,
// except where the advice differs: watch never takes a controller's field
// that no --take-from names, nor recreates an object.
func describeAutoOutcome(oc reconcile.Outcome) (string, bool) {
	if slices.ContainsFunc(oc.Conflicts, func(c reconcile.Conflict) bool { return c.Tool == "" }) {
		return fmt.Sprintf("%-*s %s: %s; watch takes no field from a controller that --take-from does not name: remove it from the manifest or leave it out of the comparison (kubedrift ignore, or a preset: kubedrift ignore --presets)",
			statusWidth, "conflict", oc.Ref, describeConflicts(oc.Conflicts)), false
	}
	if oc.Immutable {
		return fmt.Sprintf("%-*s %s: the manifest changes a field that cannot change in place; watch never deletes an object to create it again (kubedrift --apply --recreate does)", statusWidth, "immutable", oc.Ref), false
	}
	return describeOutcome(oc)
}
