package drift

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/kubedrift/kubedrift/drift/ignore"
)

// LiveReader reads live state.
type LiveReader interface {
	// Namespaced reports whether objects of kind gvk live in a namespace. An
	// error for which meta.IsNoMatchError is true means the cluster does not
	// serve the kind.
	Namespaced(gvk schema.GroupVersionKind) (bool, error)
	// List returns every live object of kind gvk in namespace ("" for a
	// cluster-scoped kind). The engine reads live state this way, one list
	// per kind and namespace rather than one request per object.
	List(ctx context.Context, gvk schema.GroupVersionKind, namespace string) ([]unstructured.Unstructured, error)
	// Get returns the live object, or an error for which apierrors.IsNotFound
	// is true when there is none. The engine falls back to it for the objects
	// of a list that failed (a user may be allowed to get but not to list),
	// so that each object gets its own verdict.
	Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error)
	// TypeConverter returns the structure of the kinds of gv, as the
	// cluster publishes it: offline mode merges a manifest into a live
	// object by it.
	TypeConverter(gv schema.GroupVersion) (managedfields.TypeConverter, error)
}

// PageLister is what a LiveReader may also implement to read a list page by
// page, and the objects of a kind in every namespace with one list. The
// engine then judges the objects of each page while the next is read, so
// that the objects of a large list are never all held at once, and for
// desired objects spread over many namespaces it sends one list instead of
// one per namespace. Without it, the engine lists namespace by namespace,
// each list whole.
type PageLister interface {
	// ListPages reads the live objects of kind gvk in namespace, or in
	// every namespace when namespace is "" and the kind is namespaced,
	// in pages of at most limit objects, and calls page with those of
	// each page that are in a namespace for which in is true (all when in
	// is nil). The objects are page's to keep. An error from page ends
	// the list with it.
	ListPages(ctx context.Context, gvk schema.GroupVersionKind, namespace string, limit int, in func(namespace string) bool, page func([]unstructured.Unstructured) error) error
}

// DryRunner answers what an object would look like after a reconcile.
type DryRunner interface {
	// DryRunApply sends obj as a forced server-side apply by manager,
	// with dry run, and returns the object the server would store.
	DryRunApply(ctx context.Context, obj *unstructured.Unstructured, manager string) (*unstructured.Unstructured, error)
}

// PatchPermission is what a DryRunner may also implement for
// Options.SpareDryRuns: where the user may patch an object and the engine
// can tell that the apply would change nothing, the dry run's answer is
// known, and asking the server for it, once per object, is most of the
// cost of a check. Without it, every object is dry-run.
type PatchPermission interface {
	// MayPatch reports whether the user may patch every object of kind
	// gvk in namespace; namespace "" asks about every namespace of a
	// namespaced kind, and about the objects of a cluster-scoped kind.
	MayPatch(ctx context.Context, gvk schema.GroupVersionKind, namespace string) (bool, error)
}

// Admission is what a DryRunner may also implement for
// Options.SpareDryRuns. An admission webhook or policy may change or refuse
// an apply that the engine can tell changes nothing else, so that the dry
// run of an object of a kind one may see is never spared.
type Admission interface {
	// Intercepted returns a test of whether an admission webhook or policy
	// of the cluster, as it is configured now, may see the apply of an
	// object of kind gvk that exists.
	Intercepted(ctx context.Context) (func(gvk schema.GroupVersionKind) bool, error)
}

// Options tune an Engine.
type Options struct {
	// Mode is how objects are judged; "" is ModeAuto.
	Mode Mode
	// Strict counts foreign fields (see Result.Foreign) as drift: an
	// object that is otherwise in sync but has some is Drifted.
	Strict bool
	// DefaultNamespace is given to namespaced objects whose manifest names no
	// namespace, as kubectl does with the kubeconfig's or -n namespace.
	DefaultNamespace string
	// ShowSecrets leaves Secret values readable in Result.Live and Result.Want.
	// Off by default: reports and logs must never carry secrets unasked.
	ShowSecrets bool
	// Owned tells whether a live object belongs to the desired state, by
	// its labels or its Helm release annotations. A listed object it owns
	// that no manifest declares is reported Unmanaged. Only the kinds and
	// namespaces of desired objects are listed, so only there are
	// unmanaged objects found, unless AllNamespaces. Nil owns nothing.
	Owned func(live *unstructured.Unstructured) bool
	// AllNamespaces looks for unmanaged objects (see Owned) of each
	// namespaced kind the desired state has in every namespace, with one
	// list across all namespaces, as kubectl get -A reads them. Where the
	// user may not list a kind in all namespaces, its objects are read in
	// their own namespaces and Report.Problems says where unmanaged ones
	// were not looked for. It needs a LiveReader that is a
	// PageLister.
	AllNamespaces bool
	// Ignore removes fields from the comparison: ignored fields change
	// neither a verdict nor a diff. Nil ignores nothing.
	Ignore *ignore.Rules
	// Presets spares the fields of the built-in presets (Presets): what
	// controllers write on purpose after an install, such as a webhook's
	// CA bundle and the replicas of a workload an autoscaler in the
	// cluster targets, found by listing the autoscalers in the namespaces
	// of the desired workloads. A spared field is listed in Result.Spared,
	// by its preset, where live and desired differ on it.
	Presets bool
	// Workers bounds the requests in flight at once, lists and dry runs
	// alike; 0 means 8.
	Workers int
	// SpareDryRuns, in ModeServer and ModeAuto, spares the dry run of each
	// object whose apply is shown offline to change nothing (see
	// appliesAsIs), where the DryRunner tells that the user may patch it
	// (PatchPermission) and that no admission webhook or policy of the
	// cluster may see its apply (Admission): the server's answer is then
	// the live object itself, and so is the verdict's. Each dry run costs
	// the API server milliseconds of CPU time, so that a check of a large
	// application mostly in sync runs many times faster with it (see
	// bench/results.md). Off, every object is dry-run, and the audit log of
	// a check shows one dry run per object.
	SpareDryRuns bool
}

// CheckOptions are what one check tells and keeps, which one engine's
// checks may differ in.
type CheckOptions struct {
	// Progress, if set, is called with each verdict as soon as it is
	// reached, with how many of the total desired objects are judged so
	// far; from several goroutines at once. Unmanaged objects come in the
	// report only.
	Progress func(r Result, judged, total int)
	// Lean drops the Live and Want objects of the verdicts that are in
	// sync, once Progress has seen them: a report prints no diff of them,
	// and a large check then holds only the objects that drift.
	Lean bool
}

// Engine judges desired objects against a cluster.
type Engine struct {
	live   LiveReader
	dryRun DryRunner
	opts   Options
	// appliers caches the API server's apply of each kind, built from the
	// kind's structure (see kindApplier), by GroupVersionKind.
	appliers sync.Map
	// presets are the built-in presets' rules, nil without Options.Presets.
	presets *ignore.Rules
}

// NewEngine returns an engine that reads live state through live and asks
// dryRun for the state after a reconcile.
func NewEngine(live LiveReader, dryRun DryRunner, opts Options) *Engine {
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.Mode == "" {
		opts.Mode = ModeAuto
	}
	e := &Engine{live: live, dryRun: dryRun, opts: opts}
	if opts.Presets {
		e.presets = presetRules()
	}
	return e
}

// Check judges every desired object and returns the verdicts sorted by Ref.
// A failure on one object is that object's Error verdict and never stops the
// others from being judged; Check itself only stops early when ctx is done,
// leaving the objects it did not reach as errors.
func (e *Engine) Check(ctx context.Context, desired []Desired) *Report {
	return e.CheckWith(ctx, desired, CheckOptions{})
}

// CheckWith is Check, telling and keeping what how says.
func (e *Engine) CheckWith(ctx context.Context, desired []Desired, how CheckOptions) *Report {
	return e.check(ctx, desired, e.opts.SpareDryRuns, how)
}

// check is CheckWith, sparing dry runs (see Options.SpareDryRuns) only when
// spare is true.
func (e *Engine) check(ctx context.Context, desired []Desired, spare bool, how CheckOptions) *Report {
	var judged atomic.Int64
	progress := func(r *Result) {
		r.findController()
		if how.Progress != nil {
			how.Progress(*r, int(judged.Add(1)), len(desired))
		}
		if how.Lean && r.Status == InSync {
			r.Live, r.Want = nil, nil
		}
	}

	// Each object is resolved for judging only when its live state is
	// known: up front, only where it goes, for the lists. Copies of every
	// manifest made up front would all be held while the first are judged.
	results := make([]Result, len(desired))
	refs := make([]Ref, len(desired))
	todo := make([]int, 0, len(desired))
	seen := make(map[Ref]Origin, len(desired))
	plan := planOf(desired)
	for i, d := range desired {
		ref, err := e.Place(d.Object)
		results[i] = Result{Ref: ref, Origin: d.Origin, Mode: e.reportedMode()}
		switch namespaced, ok := plan.crdKinds[ref.GroupVersionKind().GroupKind()]; {
		case ok && meta.IsNoMatchError(err):
			// The kind comes with the desired state: its objects are
			// missing, not unknown.
			want := stripped(d.Object)
			want.SetNamespace(e.scoped(want.GetNamespace(), namespaced))
			results[i].Ref = RefOf(want)
			results[i].Status, results[i].Want = Missing, want
			results[i].Note = "after its CustomResourceDefinition is created"
			if !e.opts.ShowSecrets {
				maskSecrets(nil, results[i].Want)
			}
		case err != nil:
			results[i].fail(err)
		default:
			key := ref
			key.Version = ""
			if first, dup := seen[key]; dup {
				results[i].Status, results[i].Reason = Error, ReasonDuplicate
				results[i].Err = fmt.Errorf("declared more than once, first at %v", first)
				break
			}
			seen[key] = d.Origin
			refs[i] = ref
			todo = append(todo, i)
			continue
		}
		progress(&results[i])
	}

	// Objects are judged as their live state comes in, while the rest is
	// still being read: the reading waits on the network, the judging on
	// the cores.
	run := newCheckRun(e, spare)
	if e.presets != nil {
		plan.autoscaled = e.findAutoscaled(ctx, desired, run)
	}
	type job struct {
		i     int
		state liveState
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range min(e.opts.Workers, len(todo)) {
		wg.Go(func() {
			for j := range jobs {
				// New down to its metadata, and sharing what lies deeper
				// with the manifest: judging changes it only there, and
				// copies it whole before it changes more. Copies of every
				// manifest whole would double a large check's memory.
				obj := strippedShallow(desired[j.i].Object)
				obj.SetNamespace(refs[j.i].Namespace)
				e.judge(ctx, obj, &desired[j.i], j.state, plan, run, &results[j.i])
				run.judged()
				progress(&results[j.i])
			}
		})
	}
	unmanaged, problems := e.readLive(ctx, refs, todo, run, func(i int, state liveState) { jobs <- job{i, state} })
	close(jobs)
	wg.Wait()

	for i := range unmanaged {
		unmanaged[i].findController()
	}
	r := &Report{Results: append(results, unmanaged...), Problems: problems}
	r.sort()
	return r
}

// plan is what the desired state itself creates, which other desired objects
// may depend on.
type plan struct {
	// crdKinds are the kinds that desired CustomResourceDefinitions define,
	// with whether their objects are namespaced.
	crdKinds map[schema.GroupKind]bool
	// namespaces are the desired Namespaces.
	namespaces map[string]bool
	// autoscaled are the workloads that an autoscaler in the cluster
	// targets, with the autoscaler (Options.Presets).
	autoscaled map[workload]string
}

func planOf(desired []Desired) plan {
	p := plan{crdKinds: map[schema.GroupKind]bool{}, namespaces: map[string]bool{}}
	for _, d := range desired {
		gvk := d.Object.GroupVersionKind()
		switch {
		case gvk.Group == "" && gvk.Kind == "Namespace":
			p.namespaces[d.Object.GetName()] = true
		case gvk.Group == "apiextensions.k8s.io" && gvk.Kind == "CustomResourceDefinition":
			group, _, _ := unstructured.NestedString(d.Object.Object, "spec", "group")
			kind, _, _ := unstructured.NestedString(d.Object.Object, "spec", "names", "kind")
			scope, _, _ := unstructured.NestedString(d.Object.Object, "spec", "scope")
			p.crdKinds[schema.GroupKind{Group: group, Kind: kind}] = scope == "Namespaced"
		}
	}
	return p
}

// judge fills in r's verdict on the desired object obj, whose live state
// has been read.
func (e *Engine) judge(ctx context.Context, obj *unstructured.Unstructured, d *Desired, state liveState, plan plan, run *checkRun, r *Result) {
	if err := ctx.Err(); err != nil {
		r.fail(err)
		return
	}
	if state.err != nil {
		r.fail(fmt.Errorf("read live object: %w", state.err))
		return
	}
	live := state.obj
	if live == nil {
		if why := goneByDesign(obj); why != "" {
			r.Status, r.Note = InSync, why
			return
		}
	}

	// Decoded once: each decoding costs as much as a twentieth of a check.
	entries := managedFields(live)
	manager := applier(entries, obj)
	r.applier = manager
	want, err := e.answer(ctx, obj, live, manager, run, r)
	for retry := 0; err == nil && r.Mode == ModeServer && changedSince(live, want) && retry < 2; retry++ {
		// The object changed between the list and the dry run, as when a
		// controller catches up with a new object: judge it as it is now,
		// rather than compare a dry run of one version with another.
		if !run.request(ctx) {
			r.fail(ctx.Err())
			return
		}
		fresh, getErr := e.live.Get(ctx, obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())
		run.done()
		switch {
		case apierrors.IsNotFound(getErr):
			fresh = nil
		case getErr != nil:
			r.fail(fmt.Errorf("read live object: %w", getErr))
			return
		}
		live = fresh
		entries = managedFields(live)
		manager = applier(entries, obj)
		r.applier = manager
		want, err = e.answer(ctx, obj, live, manager, run, r)
	}
	if err != nil {
		if ns := obj.GetNamespace(); r.Mode == ModeServer && live == nil && ns != "" && apierrors.IsNotFound(err) {
			// The object's namespace is missing too; the dry run cannot
			// tell what the server would add, so show the manifest itself.
			want = obj
			r.Note = fmt.Sprintf("its namespace %q does not exist", ns)
			if plan.namespaces[ns] {
				r.Note = "after its namespace is created"
			}
		} else {
			r.fail(err)
			return
		}
	}

	run.computing(func() bool {
		e.compare(comparison{obj: obj, live: live, want: want, entries: entries, manager: manager}, d, plan, run, r)
		return true
	})
}

// comparison is what judge learnt of one object for compare: the manifest
// resolved, the live object (nil when missing), the server's or the offline
// merge's answer, live's managedFields decoded, and the applier.
type comparison struct {
	obj, live, want *unstructured.Unstructured
	entries         []metav1.ManagedFieldsEntry
	manager         string
}

// compare gives r its verdict from c: the work of the cores, which judge
// holds a cpu token for.
func (e *Engine) compare(c comparison, d *Desired, plan plan, run *checkRun, r *Result) {
	obj, live, want, entries, manager := c.obj, c.live, c.want, c.entries, c.manager
	// The live object and the answer are this check's own, read or
	// answered for it, and become the result's: they are stripped in
	// place. The manifest is copied. An answer that is the live object
	// itself (an apply would change nothing) is one object for both, which
	// everything below changes alike, unless kubectl's client-side apply
	// record deletes something from the answer.
	// Stripping takes live's managedFields away: from here on, they are
	// entries.
	var deletions map[string]any
	if live != nil {
		deletions = clientSideDeletions(obj, live)
	}
	asIs := want != nil && want == live && deletions == nil
	switch {
	case want == nil, asIs:
	case want == obj, want == live:
		r.Want = stripped(want)
	default:
		r.Want = strip(want)
	}
	if live != nil {
		r.Live = strip(live)
		if asIs {
			r.Want = r.Live
		}
		if deletions != nil {
			// The server defaults again what the apply deletes.
			dropDeleted(r.Want.Object, deletions)
			setDefaults(r.Want.GroupVersionKind(), r.Want.Object, r.Live.Object)
		}
		undoSideEffects(r.Live, r.Want)
		if e.opts.Ignore != nil {
			r.Ignored = e.opts.Ignore.Apply(r.Ref.IgnoreObject(), r.Live, r.Want, entries)
		}
		e.spare(r, d, plan)
	}
	if !e.opts.ShowSecrets {
		maskSecrets(r.Live, r.Want)
	}
	if live != nil {
		r.Foreign = foreignFields(obj, entries, r.Live, manager)
	}
	switch {
	case live == nil:
		r.Status = Missing
		dropAllocated(r.Want, obj)
	case r.Live == r.Want || sameJSON(r.Live.Object, r.Want.Object):
		r.Status = InSync
		// The two are the same: one of them is enough to keep.
		r.Want = r.Live
		if e.opts.Strict && len(r.Foreign) > 0 {
			r.Status = Drifted
			r.Note = "foreign fields count as drift with --strict"
		}
	default:
		r.Status = Drifted
		// From the masked objects, so that no change carries a secret.
		r.Changes = FieldChanges(r.Live, r.Want)
		Attribute(r.Changes, entries, manager)
		// A field the next apply deletes (client-side, the manifest
		// setting its map to null) is a change, not a foreign field.
		r.Foreign = slices.DeleteFunc(r.Foreign, func(f ForeignField) bool {
			return slices.ContainsFunc(r.Changes, func(c Change) bool { return c.Pointer == f.Pointer })
		})
		if len(r.defaulted) > 0 {
			// Asks the cluster its version once, only where it matters.
			if note := defaultsSkewNote(r, run.version.get(e.live)); note != "" {
				r.Note = joinNotes(r.Note, note)
			}
		}
	}
}

// changedSince reports whether a dry run's answer comes from another version
// of the live object than live: the server answers with the resourceVersion
// of the object it dry-ran against.
func changedSince(live, want *unstructured.Unstructured) bool {
	return live != nil && want != nil && want.GetResourceVersion() != "" && want.GetResourceVersion() != live.GetResourceVersion()
}

// reportedMode is the mode a result carries before its object is judged.
func (e *Engine) reportedMode() Mode {
	if e.opts.Mode == ModeOffline {
		return ModeOffline
	}
	return ModeServer
}

// answer returns what the live object of obj would be after a reconcile
// that applies obj as manager: by a dry run in server mode, worked out here
// in offline mode, and in auto mode by a dry run unless the server forbids
// it. It sets r.Mode to the mode that answered. A Missing object has no
// offline answer but the manifest itself.
//
// With Options.SpareDryRuns, an apply the user may send, that no admission
// webhook or policy sees, and that provably changes nothing (see
// appliesAsIs) is not sent: the dry run would answer with the live object
// itself, and so does answer, as the server's answer.
func (e *Engine) answer(ctx context.Context, obj, live *unstructured.Unstructured, manager string, run *checkRun, r *Result) (*unstructured.Unstructured, error) {
	if e.opts.Mode != ModeOffline {
		applied := withBookkeeping(obj, live)
		if live != nil && run.perms.unseen(ctx, obj.GroupVersionKind()) &&
			run.computing(func() bool { return e.appliesAsIs(applied, live, manager) }) &&
			run.perms.mayPatch(ctx, obj.GroupVersionKind(), obj.GetNamespace()) {
			return live, nil
		}
		var (
			want *unstructured.Unstructured
			err  = ctx.Err()
		)
		if run.request(ctx) {
			want, err = e.dryRun.DryRunApply(ctx, applied, manager)
			run.done()
		}
		switch {
		case err == nil:
			return want, nil
		case live != nil && mergeCollides(err):
			// The manifest merged with what someone changed breaks a
			// rule: that is drift, which an apply cannot put right; the
			// offline merge shows it, and the note the server's reason.
			r.Mode, r.Note = ModeOffline, refusedNote+apiReason(err)
		case e.opts.Mode == ModeServer || !apierrors.IsForbidden(err):
			return nil, dryRunError(err)
		default:
			r.Mode, r.Note = ModeOffline, "judged offline: the dry run is forbidden"
		}
	}
	if live == nil {
		return obj, nil
	}
	var (
		want *unstructured.Unstructured
		err  error
	)
	run.computing(func() bool {
		want, r.defaulted, err = e.offlineWant(withBookkeeping(obj, live), live, manager)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("offline: %w", err)
	}
	if want != live {
		run.crds.defaults(ctx, e.live, run, want)
	}
	// The server's own refusal, when it gave one, says it already.
	if refused := refusedBecause(want); len(refused) > 0 && !strings.HasPrefix(r.Note, refusedNote) {
		r.Note = joinNotes(r.Note, refusedNote+strings.Join(refused, "; "))
	}
	return want, nil
}

// joinNotes adds note to the notes a result has.
func joinNotes(notes, note string) string {
	if notes == "" {
		return note
	}
	return notes + "; " + note
}
