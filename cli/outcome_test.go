package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/reconcile"
)

// The words for a refused reconcile name each field's owner, tell a
// person's tool from a controller, and give the advice that fits: --apply
// can be forced, watch never takes a controller's field.
func TestDescribeConflicts(t *testing.T) {
	ref := drift.Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	oc := reconcile.Outcome{Ref: ref, Action: reconcile.ActionApply, Err: errors.New("Apply failed with 2 conflicts"), Conflicts: []reconcile.Conflict{
		{Field: "spec.replicas", Manager: "hpa-controller"},
		{Field: "metadata.labels.team", Manager: "kubectl-label", Tool: "kubectl label"},
	}}
	line, ok := describeOutcome(oc)
	for _, want := range []string{`spec.replicas is owned by "hpa-controller", not a tool people change objects with`,
		"metadata.labels.team is owned by kubectl label;", "--force-conflicts takes it"} {
		if ok || !strings.Contains(line, want) {
			t.Errorf("--apply: %q (ok %v), want %q", line, ok, want)
		}
	}
	line, ok = describeAutoOutcome(oc)
	if ok || !strings.Contains(line, "watch takes no field from a controller that --take-from does not name") || strings.Contains(line, "--force-conflicts") {
		t.Errorf("watch: %q (ok %v), want the controller's field left alone, without --force-conflicts", line, ok)
	}
	oc.Conflicts = oc.Conflicts[1:]
	if line, _ := describeAutoOutcome(oc); !strings.Contains(line, "--force-conflicts takes it") {
		t.Errorf("watch, a person's field: %q, want --force-conflicts offered", line)
	}
	taken := reconcile.Outcome{Ref: ref, Action: reconcile.ActionApply, Manager: "kubectl", Verdict: &drift.Result{Status: drift.InSync},
		Taken: []reconcile.Conflict{{Field: "spec.replicas", Manager: "kubectl", Tool: "kubectl (scale)"}}}
	if line, ok := describeOutcome(taken); !ok || !strings.HasSuffix(line, "now in sync; took back spec.replicas from kubectl (scale)") {
		t.Errorf("taken: %q (ok %v)", line, ok)
	}
}
