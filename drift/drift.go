// Package drift decides, object by object, whether a cluster matches its
// desired state.
//
// The engine does no I/O of its own: it reads live objects through LiveReader
// and asks for server-side apply dry runs through DryRunner, two interfaces that
// package cluster implements against a real API server and tests may fake.
package drift

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Status is the verdict on one object.
type Status int

const (
	// InSync means a reconcile would change nothing.
	InSync Status = iota
	// Drifted means the live object differs from what a reconcile would make it.
	Drifted
	// Missing means the object is desired but does not exist in the cluster.
	Missing
	// Error means the object could not be judged; Result.Reason says why.
	Error
	// Unmanaged means a live object belongs to the desired state (it carries
	// its selector's labels or its Helm release's annotations) but no
	// manifest declares it: left over, or made by hand.
	Unmanaged
)

// String returns the status as the reports print it.
func (s Status) String() string {
	switch s {
	case InSync:
		return "in sync"
	case Drifted:
		return "drifted"
	case Missing:
		return "missing"
	case Error:
		return "error"
	case Unmanaged:
		return "unmanaged"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Reason classifies an Error verdict, so that a person (or a script) knows
// what to do about it without parsing messages.
type Reason string

const (
	// ReasonForbidden: the user may not read the object or run the dry run.
	ReasonForbidden Reason = "Forbidden"
	// ReasonNoKind: the cluster does not serve the object's kind and version.
	ReasonNoKind Reason = "NoKind"
	// ReasonConflict: another field manager owns a field the manifest sets.
	ReasonConflict Reason = "Conflict"
	// ReasonImmutable: the manifest changes a field that cannot be changed in
	// place; a reconcile would need to delete and recreate the object.
	ReasonImmutable Reason = "Immutable"
	// ReasonInvalid: the API server rejected the manifest.
	ReasonInvalid Reason = "Invalid"
	// ReasonUnreachable: the API server could not be reached.
	ReasonUnreachable Reason = "Unreachable"
	// ReasonDuplicate: the same object is declared more than once.
	ReasonDuplicate Reason = "Duplicate"
	// ReasonUnknown: any other failure.
	ReasonUnknown Reason = "Unknown"
)

// Mode names how objects are judged (see DESIGN.md, "How drift is decided").
type Mode string

const (
	// ModeServer judges an object by a server-side apply dry run: the
	// server's answer includes every default and webhook. It needs "patch"
	// permission, and "create" for missing objects.
	ModeServer Mode = "server"
	// ModeOffline judges an object by reading only: the manifest is merged
	// into the live object here, as server-side apply would merge it, and
	// normalised where the server would have changed it.
	ModeOffline Mode = "offline"
	// ModeAuto judges by server where the dry run is permitted and offline
	// where it is forbidden. Results never carry it: each says which of the
	// two judged it.
	ModeAuto Mode = "auto"
)

// ParseMode returns the mode s names; "" is ModeAuto.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeServer, ModeOffline, ModeAuto:
		return m, nil
	case "":
		return ModeAuto, nil
	}
	return "", fmt.Errorf("unknown mode %q: want server, offline or auto", s)
}

// Desired is one object of the desired state.
type Desired struct {
	Object *unstructured.Unstructured
	// Origin says where the object was declared (a file and line, a chart
	// template). The engine only carries it to the Result.
	Origin Origin
	// Spare are fields the source cannot know the value of before the
	// object is applied (a chart's randAlphaNum password, a field rendered
	// only at install), each with what makes it change as Spared.By: no
	// live value could be expected to match them. They are left out of the
	// comparison, and listed in Result.Spared where live differs.
	Spare []Spared
}

// Result is the verdict on one object.
type Result struct {
	Ref    Ref
	Status Status
	// Origin is the Desired.Origin the object came from.
	Origin Origin
	// Mode is the comparison that judged the object: ModeServer or
	// ModeOffline.
	Mode Mode
	// Reason and Err explain an Error verdict; both are empty otherwise.
	Reason Reason
	Err    error
	// Changes are the fields of a Drifted object that differ, each with the
	// manager that last wrote it in the live object.
	Changes []Change
	// Foreign are the fields of the live object that the manifest does not
	// mention and that someone other than the manifest's applier and the
	// cluster's own controllers set: a label added by hand, a CronJob
	// suspended with kubectl patch. A reconcile leaves them be, so they are
	// information, and drift only with Options.Strict.
	Foreign []ForeignField
	// Ignored lists, as JSON pointers, the fields that ignore rules took out
	// of the comparison of this object.
	Ignored []string
	// Spared lists the fields left out of the comparison of this object
	// because they could never be a person's drift, where live held them
	// otherwise than desired, and what spared each.
	Spared []Spared
	// Controller is the tool that keeps the object (Flux, Argo CD, Helm), as
	// the live object's labels and annotations tell, or the desired one's
	// for a Missing object; nil when none does. A reconcile competes with
	// it.
	Controller *Controller
	// Note qualifies a verdict in words, such as a Missing object that can
	// only be created "after its namespace is created".
	Note string
	// Live is the live object and Want what the cluster would hold after a
	// reconcile. Both are stripped of the fields the server manages (status,
	// managedFields, resourceVersion, ...) and have Secret values masked, so
	// they are safe to print. Live is nil for a Missing object; both are nil
	// for an Error.
	Live, Want *unstructured.Unstructured
	// applier is the field manager the object's dry run applied as: its
	// manifest's server-side applier, or kubedrift.
	applier string
	// defaulted are the fields (JSON pointers) offline mode set in Want
	// from the generated defaults of built-in kinds.
	defaulted []string
}

// Diff returns a unified diff from Live to Want with three lines of context,
// as diff -u writes it, or "" when they are equal.
func (r *Result) Diff() string {
	return r.DiffContext(diffContext)
}

// DiffContext returns a unified diff from Live to Want with n unchanged lines
// around each change, as diff -U n writes it (a negative n counts as 0), or ""
// when they are equal. Changes with at most 2n unchanged lines between them
// share a hunk.
func (r *Result) DiffContext(n int) string {
	if r.Live == nil && r.Want == nil {
		return ""
	}
	return unifiedDiffContext("live "+r.Ref.String(), "desired "+r.Ref.String(), toYAML(r.Live), toYAML(r.Want), n)
}

// Report holds the verdicts on all desired objects, sorted by Ref.
type Report struct {
	Results []Result
	// Problems are what kept the check from looking everywhere it was
	// asked to, though every desired object has its verdict: such as
	// unmanaged objects not looked for in all namespaces.
	Problems []error
}

// Count returns how many results have status s.
func (r *Report) Count(s Status) int {
	n := 0
	for i := range r.Results {
		if r.Results[i].Status == s {
			n++
		}
	}
	return n
}

// HasDrift reports whether any object is Drifted or Missing. Unmanaged
// objects are left for the caller to count, since only pruning makes them
// drift.
func (r *Report) HasDrift() bool {
	return r.Count(Drifted)+r.Count(Missing) > 0
}

// HasErrors reports whether any object could not be judged.
func (r *Report) HasErrors() bool {
	return r.Count(Error) > 0
}

func (r *Report) sort() {
	sort.SliceStable(r.Results, func(i, j int) bool {
		return r.Results[i].Ref.Less(r.Results[j].Ref)
	})
}
