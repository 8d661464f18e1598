package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubedrift/kubedrift/cluster"
	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/reconcile"
)

// defaultLogFile is where writes are logged unless --log-file says
// otherwise: $XDG_STATE_HOME/kubedrift/kubedrift.log, or under
// ~/.local/state.
func defaultLogFile() string {
	state := os.Getenv("XDG_STATE_HOME")
	if state == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		state = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(state, "kubedrift", "kubedrift.log")
}

// openLog opens the write log for appending, creating it and its directory.
func (o *Options) openLog() (*slog.Logger, io.Closer, error) {
	path := o.LogFile
	if path == "" {
		path = defaultLogFile()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("--log-file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--log-file: %w", err)
	}
	return slog.New(slog.NewJSONHandler(f, nil)), f, nil
}

// apply reconciles what rep found drifted or missing (and, with --prune,
// deletes what it found unmanaged), prints each action and its outcome,
// and returns the exit code: 0 when everything is in sync afterwards, 1
// when something could not be reconciled.
func (o *Options) apply(ctx context.Context, client *cluster.Client, engine *drift.Engine, desired []drift.Desired, rep *drift.Report) (int, error) {
	out := o.streams.Out
	todo := rep.Count(drift.Drifted) + rep.Count(drift.Missing)
	if o.Prune {
		todo += rep.Count(drift.Unmanaged)
	}
	if todo == 0 {
		fmt.Fprintln(out, "\nnothing to reconcile")
		return ExitInSync, nil
	}
	if o.DryRun {
		fmt.Fprintln(out, "\nwould reconcile (--dry-run, nothing sent):")
		for _, r := range rep.Results {
			switch {
			case r.Status == drift.Drifted && r.Controller != nil:
				fmt.Fprintf(out, "  apply   %s (managed by %s: %s)\n", r.Ref, r.Controller, r.Controller.Fights())
			case r.Status == drift.Drifted:
				fmt.Fprintf(out, "  apply   %s\n", r.Ref)
			case r.Status == drift.Missing:
				fmt.Fprintf(out, "  create  %s\n", r.Ref)
			case r.Status == drift.Unmanaged && o.Prune:
				fmt.Fprintf(out, "  delete  %s\n", r.Ref)
			}
		}
		return ExitDrift, nil
	}

	log, closer, err := o.openLog()
	if err != nil {
		return ExitError, err
	}
	defer closer.Close()
	rec := &reconcile.Reconciler{Client: client, Engine: engine, ReadOnly: o.ReadOnly, Log: log}
	outcomes := rec.ReconcileAll(ctx, desired, rep, reconcile.ReconcileOptions{Force: o.ForceConflicts, Recreate: o.Recreate, TakeFromPeople: true})
	if o.Prune {
		for _, r := range rep.Results {
			if r.Status == drift.Unmanaged {
				outcomes = append(outcomes, rec.Delete(ctx, r.Ref))
			}
		}
	}

	controllers := map[drift.Ref]*drift.Controller{}
	for _, r := range rep.Results {
		controllers[r.Ref] = r.Controller
	}
	fmt.Fprintln(out, "\nreconcile:")
	failed := 0
	for _, oc := range outcomes {
		line, ok := describeOutcome(oc)
		if !ok {
			failed++
		}
		fmt.Fprintln(out, "  "+line)
		if c := controllers[oc.Ref]; c != nil {
			// Said after the fact too: --apply asks no questions.
			fmt.Fprintf(out, "             managed by %s: %s\n", c, c.Fights())
		}
	}
	fmt.Fprintf(out, "\n%d reconciled, %d not\n", len(outcomes)-failed, failed)
	if failed > 0 {
		return ExitDrift, nil
	}
	return ExitInSync, nil
}

// describeOutcome says in one line what a reconcile did, and reports
// whether the object is in sync (or gone, for a delete) afterwards.
func describeOutcome(oc reconcile.Outcome) (string, bool) {
	verb := map[reconcile.Action]string{
		reconcile.ActionCreate: "created", reconcile.ActionApply: "applied",
		reconcile.ActionRecreate: "recreated", reconcile.ActionDelete: "deleted",
	}[oc.Action]
	switch {
	case len(oc.Conflicts) > 0:
		return fmt.Sprintf("conflict   %s: %s; to leave it to its owner, remove it from the manifest or leave it out of the comparison (an ignore rule: kubedrift ignore; or a preset that covers it: kubedrift ignore --presets), and --apply leaves it as it is; --force-conflicts takes it",
			oc.Ref, describeConflicts(oc.Conflicts)), false
	case oc.Immutable:
		return fmt.Sprintf("immutable  %s: the manifest changes a field that cannot change in place; --recreate deletes the object and creates it again", oc.Ref), false
	case oc.Err != nil:
		return fmt.Sprintf("failed     %s: %v", oc.Ref, oc.Err), false
	case oc.Action == reconcile.ActionDelete:
		return fmt.Sprintf("%-10s %s", verb, oc.Ref), true
	case oc.Verdict == nil:
		return fmt.Sprintf("%-10s %s (as %s), but it could not be judged again", verb, oc.Ref, oc.Manager), false
	case oc.Verdict.Status != drift.InSync:
		return fmt.Sprintf("%-10s %s (as %s), but it is still %s", verb, oc.Ref, oc.Manager, oc.Verdict.Status), false
	}
	return fmt.Sprintf("%-10s %s (as %s), now in sync%s%s", verb, oc.Ref, oc.Manager, describeTaken(oc.Taken), describeKept(oc.KeptLive)), true
}

// describeKept says which fields left out of the comparison a reconcile
// left as they were: "; left /spec/replicas as it was (not compared)".
func describeKept(kept []string) string {
	if len(kept) == 0 {
		return ""
	}
	return "; left " + strings.Join(kept, ", ") + " as it was (not compared)"
}

// describeConflicts names the fields an apply was refused for, by owner,
// and which of them are not people's tools: "spec.replicas is owned by
// "hpa-controller", not a tool people change objects with".
func describeConflicts(conflicts []reconcile.Conflict) string {
	var parts []string
	for _, c := range conflicts {
		owner := c.Owner()
		if c.Tool == "" {
			owner += ", not a tool people change objects with"
		}
		parts = append(parts, fmt.Sprintf("%s is owned by %s", c.Field, owner))
	}
	return strings.Join(parts, "; ")
}

// describeTaken says which fields a reconcile took back from people's
// tools: "; took back spec.replicas from kubectl scale".
func describeTaken(taken []reconcile.Conflict) string {
	if len(taken) == 0 {
		return ""
	}
	var parts []string
	for _, c := range taken {
		parts = append(parts, c.Field+" from "+c.Owner())
	}
	return "; took back " + strings.Join(parts, ", ")
}
