package drift

import (
	"context"
	"errors"
	"fmt"
	"runtime"
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
	utilnet "k8s.io/apimachinery/pkg/util/net"
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
	// and calls page with those of each page of the list that are in a
	// namespace for which in is true (all when in is nil). The objects
	// are page's to keep. An error from page ends the list with it.
	ListPages(ctx context.Context, gvk schema.GroupVersionKind, namespace string, in func(namespace string) bool, page func([]unstructured.Unstructured) error) error
}

// DryRunner answers what an object would look like after a reconcile.
type DryRunner interface {
	// DryRunApply sends obj as a forced server-side apply by fieldManager,
	// with dry run, and returns the object the server would store.
	DryRunApply(ctx context.Context, obj *unstructured.Unstructured, fieldManager string) (*unstructured.Unstructured, error)
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
	Ignore *IgnoreRules
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
	// Progress, if set, is called with each verdict as soon as it is
	// reached, with how many of the total desired objects are judged so
	// far; from several goroutines at once. Unmanaged objects come in the
	// report only.
	Progress func(r Result, judged, total int)
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
	presets *IgnoreRules
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
	return e.check(ctx, desired, e.opts.SpareDryRuns)
}

// check is Check, sparing dry runs (see Options.SpareDryRuns) only when
// spare is true.
func (e *Engine) check(ctx context.Context, desired []Desired, spare bool) *Report {
	results := make([]Result, len(desired))
	objects := make([]*unstructured.Unstructured, len(desired))
	todo := make([]int, 0, len(desired))
	seen := make(map[Ref]Desired, len(desired))
	plan := planOf(desired)

	for i, d := range desired {
		obj, err := e.resolveShared(d.Object)
		results[i] = Result{Ref: RefOf(obj), Origin: d.Origin, Mode: e.reportedMode()}
		if namespaced, ok := plan.crdKinds[obj.GroupVersionKind().GroupKind()]; ok && meta.IsNoMatchError(err) {
			// The kind comes with the desired state: its objects are
			// missing, not unknown.
			want := stripped(obj)
			e.scope(want, namespaced)
			results[i].Ref = RefOf(want)
			results[i].Status, results[i].Want = Missing, want
			results[i].Note = "after its CustomResourceDefinition is created"
			if !e.opts.ShowSecrets {
				maskSecrets(nil, results[i].Want)
			}
			continue
		}
		if err != nil {
			results[i].fail(err)
			continue
		}
		key := results[i].Ref
		key.Version = ""
		if first, dup := seen[key]; dup {
			results[i].Status, results[i].Reason = Error, ReasonDuplicate
			results[i].Err = fmt.Errorf("declared more than once, first at %v", first.Origin)
			continue
		}
		seen[key] = d
		objects[i] = obj
		todo = append(todo, i)
	}

	var judged atomic.Int64
	progress := func(r *Result) {
		r.findController()
		if e.opts.Progress != nil {
			e.opts.Progress(*r, int(judged.Add(1)), len(desired))
		}
	}
	for i := range results {
		if objects[i] == nil {
			progress(&results[i])
		}
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
				e.judge(ctx, objects[j.i], &desired[j.i], j.state, plan, run, &results[j.i])
				run.judged()
				progress(&results[j.i])
			}
		})
	}
	unmanaged, problems := e.readLive(ctx, objects, todo, run, func(i int, state liveState) { jobs <- job{i, state} })
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

// liveState is what is known of one object's live state before it is judged.
type liveState struct {
	obj *unstructured.Unstructured // nil when it does not exist
	err error                      // the object could not be read
}

// manyNamespaces is how many namespaces the desired objects of one kind
// must span for their live objects to be read with one list across all
// namespaces, where the LiveReader can (PageLister), rather than
// one list per namespace. Below it the lists of the namespaces are few, and
// the objects of other namespaces, which may be many, are better left
// unread; from it on, the requests would cost more than the objects the one
// list reads in vain, and a client's rate limit would make them crawl.
const manyNamespaces = 16

// readLive reads the live state of objects[i] for every i in todo, with one
// list per kind and namespace, or one per kind across all namespaces when its
// objects span manyNamespaces or more, and hands each object's to ready as
// soon as it is known, once; it returns the verdicts on the listed objects
// that are Owned but not desired, in the namespaces of desired objects only
// or, with Options.AllNamespaces, in every namespace, and the problems that
// kept it from looking for them everywhere it was asked to.
//
// Where the LiveReader reads page by page (PageLister), the objects of each
// page are handed on before the next page is asked for, and the next waits
// while run has many objects read but not yet judged (see checkRun.room).
// A list across all namespaces that fails (the user may list only in some)
// is followed by a list per namespace; the objects of a list per namespace
// that failed are read one by one, so that each gets its own verdict.
func (e *Engine) readLive(ctx context.Context, objects []*unstructured.Unstructured, todo []int, run *checkRun, ready func(i int, state liveState)) (unmanaged []Result, problems []error) {
	type group struct {
		gvk       schema.GroupVersionKind
		namespace string
	}
	members := map[group]map[string]int{} // desired objects by name
	namespaces := map[schema.GroupVersionKind][]group{}
	var kinds []schema.GroupVersionKind
	// declared are the desired objects in any version of their kind: an
	// object of a kind desired in two versions (an autoscaling/v1 and an
	// autoscaling/v2 HorizontalPodAutoscaler) is listed in both.
	type declaredKey struct{ group, kind, namespace, name string }
	declared := map[declaredKey]bool{}
	for _, obj := range objects {
		if obj == nil || e.opts.Owned == nil {
			continue // not resolved (judged already), or no unmanaged objects looked for
		}
		gvk := obj.GroupVersionKind()
		declared[declaredKey{gvk.Group, gvk.Kind, obj.GetNamespace(), obj.GetName()}] = true
	}
	for _, i := range todo {
		g := group{objects[i].GroupVersionKind(), objects[i].GetNamespace()}
		if _, ok := members[g]; !ok {
			if _, ok := namespaces[g.gvk]; !ok {
				kinds = append(kinds, g.gvk)
			}
			namespaces[g.gvk] = append(namespaces[g.gvk], g)
			members[g] = map[string]int{}
		}
		members[g][objects[i].GetName()] = i
	}

	// A list reads the live objects of the groups it covers: one group, or
	// every group of a kind when it reads across all namespaces (all).
	// Everywhere, it also looks for unmanaged objects in the namespaces of
	// no group.
	type list struct {
		gvk             schema.GroupVersionKind
		namespace       string
		groups          []group
		all, everywhere bool
	}
	var lists []list
	pager, canListAll := e.live.(PageLister)
	for _, gvk := range kinds {
		groups := namespaces[gvk]
		everywhere := e.opts.AllNamespaces && e.opts.Owned != nil && groups[0].namespace != ""
		if everywhere && !canListAll {
			problems = append(problems, fmt.Errorf("unmanaged %s objects were looked for only in the namespaces of the manifests: this cluster reader cannot list across namespaces", gvk.GroupKind()))
			everywhere = false
		}
		if canListAll && (everywhere || len(groups) >= manyNamespaces) {
			lists = append(lists, list{gvk: gvk, groups: groups, all: true, everywhere: everywhere})
			continue
		}
		for _, g := range groups {
			lists = append(lists, list{gvk: gvk, namespace: g.namespace, groups: []group{g}})
		}
	}
	listPages := func(ctx context.Context, gvk schema.GroupVersionKind, namespace string, in func(string) bool, page func([]unstructured.Unstructured) error) error {
		if canListAll {
			return pager.ListPages(ctx, gvk, namespace, in, page)
		}
		items, err := e.live.List(ctx, gvk, namespace)
		if err != nil {
			return err
		}
		return page(items)
	}

	type known struct {
		i     int
		state liveState
	}
	type key struct {
		gvk             schema.GroupVersionKind
		namespace, name string
	}
	var (
		mu       sync.Mutex
		handed   = make([]bool, len(objects)) // the objects whose state is known
		reported = map[key]bool{}             // the unmanaged objects found
		retry    []list
		orphan   []int // objects of failed lists
	)
	// take matches the live objects of a page of list l with the desired
	// objects not yet handed on, and finds the unmanaged ones; it is
	// called with mu held.
	take := func(l list, items []unstructured.Unstructured) (out []known) {
		for j := range items {
			live := &items[j]
			g := group{l.gvk, live.GetNamespace()}
			if !l.all {
				g = l.groups[0]
			}
			byName, desiredHere := members[g]
			if i, ok := byName[live.GetName()]; ok {
				if !handed[i] {
					handed[i] = true
					out = append(out, known{i, liveState{obj: live}})
				}
				continue
			}
			k := key{l.gvk, live.GetNamespace(), live.GetName()}
			if (desiredHere || l.everywhere) && e.opts.Owned != nil && !reported[k] && e.opts.Owned(live) &&
				!declared[declaredKey{l.gvk.Group, l.gvk.Kind, live.GetNamespace(), live.GetName()}] &&
				metav1.GetControllerOfNoCopy(live) == nil {
				// An object a controller owns (a Deployment's ReplicaSet,
				// which has its annotations) is the controller's.
				reported[k] = true
				unmanaged = append(unmanaged, e.unmanaged(l.gvk, live))
			}
		}
		return out
	}
	// rest returns the objects of l's groups not yet handed on, as state
	// gives their state; it is called with mu held.
	rest := func(l list, state liveState) (out []known) {
		for _, g := range l.groups {
			for _, i := range members[g] {
				if !handed[i] {
					handed[i] = true
					out = append(out, known{i, state})
				}
			}
		}
		return out
	}
	// hand gives the objects read to the judging, outside mu: it waits
	// for the judges.
	hand := func(out []known) {
		run.read(len(out))
		for _, k := range out {
			ready(k.i, k.state)
		}
	}
	read := func(l list) {
		run.room()
		var in func(string) bool
		if l.all && !l.everywhere {
			wanted := make(map[string]bool, len(l.groups))
			for _, g := range l.groups {
				wanted[g.namespace] = true
			}
			in = func(ns string) bool { return wanted[ns] }
		}
		// A list holds a request token while it asks for a page, not
		// while its objects wait for the judges, who may need tokens for
		// their dry runs.
		err := ctx.Err()
		if held := run.request(ctx); held {
			err = listPages(ctx, l.gvk, l.namespace, in, func(items []unstructured.Unstructured) error {
				run.done()
				held = false
				mu.Lock()
				out := take(l, items)
				mu.Unlock()
				hand(out)
				run.room()
				if !run.request(ctx) {
					return ctx.Err()
				}
				held = true
				return nil
			})
			if held {
				run.done()
			}
		}
		var out []known
		defer func() { hand(out) }()
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			out = rest(l, liveState{}) // not listed: missing
		case ctx.Err() != nil:
			out = rest(l, liveState{err: ctx.Err()})
		case l.all:
			if l.everywhere {
				problems = append(problems, fmt.Errorf("unmanaged %s objects were looked for only in the namespaces of the manifests: listing them in all namespaces failed: %w", l.gvk.GroupKind(), err))
			}
			for _, g := range l.groups {
				retry = append(retry, list{gvk: g.gvk, namespace: g.namespace, groups: []group{g}})
			}
		default:
			for _, g := range l.groups {
				for _, i := range members[g] {
					if !handed[i] {
						orphan = append(orphan, i)
					}
				}
			}
		}
	}
	parallel(e.opts.Workers, lists, read)
	parallel(e.opts.Workers, retry, read)
	parallel(e.opts.Workers, orphan, func(i int) {
		obj := objects[i]
		var (
			live *unstructured.Unstructured
			err  = ctx.Err()
		)
		if run.request(ctx) {
			live, err = e.live.Get(ctx, obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())
			run.done()
		}
		if apierrors.IsNotFound(err) {
			live, err = nil, nil
		}
		mu.Lock()
		handed[i] = true
		mu.Unlock()
		hand([]known{{i, liveState{obj: live, err: err}}})
	})
	return unmanaged, problems
}

// unmanaged returns the verdict on a live object that no manifest declares.
func (e *Engine) unmanaged(gvk schema.GroupVersionKind, live *unstructured.Unstructured) Result {
	// live is one of the check's own listed objects, which no other result
	// holds.
	r := Result{Status: Unmanaged, Mode: e.reportedMode(), Live: strip(live), Note: "no manifest declares it"}
	r.Live.SetGroupVersionKind(gvk)
	r.Ref = RefOf(r.Live)
	if !e.opts.ShowSecrets {
		maskSecrets(r.Live, nil)
	}
	return r
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

// resolve returns a copy of obj ready to send to the cluster: namespaced
// objects get the default namespace when they name none, cluster-scoped ones
// lose a namespace they should not have, and fields only a server may set are
// dropped so that an exported object can serve as a manifest.
func (e *Engine) resolve(obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	return e.resolveWith(obj, stripped)
}

// resolveShared is resolve for Check's own use: the copy is new down to its
// metadata, and shares what lies deeper with obj. Check changes a resolved
// object only there, and copies it whole before it changes more; copying
// every manifest whole would double the memory a large check takes.
func (e *Engine) resolveShared(obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	return e.resolveWith(obj, strippedShallow)
}

func (e *Engine) resolveWith(obj *unstructured.Unstructured, strip func(*unstructured.Unstructured) *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	namespaced, err := e.live.Namespaced(obj.GroupVersionKind())
	if meta.IsNoMatchError(err) {
		return obj, fmt.Errorf("%w: the cluster does not serve this kind (a typo in apiVersion or kind, or a CRD not installed yet?)", err)
	}
	if err != nil {
		return obj, err
	}
	out := strip(obj)
	e.scope(out, namespaced)
	return out, nil
}

// scope gives a namespaced object the default namespace when it names none,
// as kubectl does, and takes from a cluster-scoped one a namespace it cannot
// have.
func (e *Engine) scope(obj *unstructured.Unstructured, namespaced bool) {
	switch {
	case namespaced && obj.GetNamespace() == "":
		obj.SetNamespace(e.opts.DefaultNamespace)
	case !namespaced:
		obj.SetNamespace("")
	}
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

	run.cpu <- struct{}{}
	defer func() { <-run.cpu }()

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
			r.Ignored = e.opts.Ignore.Apply(r.Ref, r.Live, r.Want, entries)
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

// refusedNote starts the note on an object whose apply the server refuses,
// or would: what someone changed collides with the manifest.
const refusedNote = "the server would refuse this apply: "

// dryRunError explains a failed dry run. A forbidden one names the permission
// the server mode needs, since that is the one a read-only user lacks.
func dryRunError(err error) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf(`server-side apply dry run needs "patch" permission (and "create" for objects that do not exist yet): %w`, err)
	}
	return fmt.Errorf("server-side apply dry run: %w", err)
}

// fail records err as r's verdict.
func (r *Result) fail(err error) {
	r.Status = Error
	r.Reason = Classify(err)
	r.Err = err
	r.Live, r.Want = nil, nil
}

// Classify names the kind of failure err is, as an Error verdict gives it.
func Classify(err error) Reason {
	switch {
	case meta.IsNoMatchError(err):
		return ReasonNoKind
	case apierrors.IsForbidden(err):
		return ReasonForbidden
	case apierrors.IsConflict(err):
		return ReasonConflict
	case isImmutable(err):
		return ReasonImmutable
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return ReasonInvalid
	case utilnet.IsConnectionRefused(err), utilnet.IsConnectionReset(err), utilnet.IsProbableEOF(err),
		apierrors.IsServiceUnavailable(err), apierrors.IsTimeout(err), apierrors.IsServerTimeout(err),
		errors.Is(err, context.DeadlineExceeded):
		return ReasonUnreachable
	}
	return ReasonUnknown
}

// isImmutable reports whether err is the API server refusing to change a field
// that cannot change once set.
func isImmutable(err error) bool {
	return invalidBecause(err, func(c metav1.StatusCause) bool { return strings.Contains(c.Message, "immutable") })
}

// mergeCollides reports whether a dry run failed because the manifest,
// merged with the live object, holds the same value twice where the server
// wants it once: a Service port someone changed by hand, so that the
// manifest's port is added beside it under the same name.
func mergeCollides(err error) bool {
	return invalidBecause(err, func(c metav1.StatusCause) bool { return c.Type == metav1.CauseTypeFieldValueDuplicate })
}

// invalidBecause reports whether err is the API server finding an object
// invalid for a cause that is.
func invalidBecause(err error, is func(metav1.StatusCause) bool) bool {
	var status apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &status) || status.Status().Details == nil {
		return false
	}
	return slices.ContainsFunc(status.Status().Details.Causes, is)
}

// apiReason is the API server's message for err, without client-go's
// prefixes.
func apiReason(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		return status.Status().Message
	}
	return err.Error()
}

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

// permissions remembers, for one Check, whether the user may patch the
// objects of each kind and namespace, asking once for each, and which
// kinds' applies admission webhooks and policies see, asking once.
type permissions struct {
	// ask and intercepted are nil when the DryRunner cannot tell, or
	// dry runs are not to be spared.
	ask         func(ctx context.Context, gvk schema.GroupVersionKind, namespace string) (bool, error)
	intercepted func(ctx context.Context) func(schema.GroupVersionKind) bool

	mu    sync.Mutex
	known map[permissionKey]func() bool
}

type permissionKey struct {
	gvk       schema.GroupVersionKind
	namespace string
}

// permissions returns what tells, for one Check, whether a dry run may be
// spared for lack of need rather than of permission, if spare; its
// questions are requests of run.
func (e *Engine) permissions(run *checkRun, spare bool) *permissions {
	p := &permissions{known: map[permissionKey]func() bool{}}
	pp, mayTell := e.dryRun.(PatchPermission)
	admission, knowsAdmission := e.dryRun.(Admission)
	if !mayTell || !knowsAdmission || e.opts.Mode == ModeOffline || !spare {
		return p
	}
	p.ask = func(ctx context.Context, gvk schema.GroupVersionKind, namespace string) (bool, error) {
		if !run.request(ctx) {
			return false, ctx.Err()
		}
		defer run.done()
		return pp.MayPatch(ctx, gvk, namespace)
	}
	var once sync.Once
	var seen func(schema.GroupVersionKind) bool
	p.intercepted = func(ctx context.Context) func(schema.GroupVersionKind) bool {
		once.Do(func() {
			seen = func(schema.GroupVersionKind) bool { return true } // unknown: all may be
			if !run.request(ctx) {
				return
			}
			defer run.done()
			if test, err := admission.Intercepted(ctx); err == nil {
				seen = test
			}
		})
		return seen
	}
	return p
}

// unseen reports whether no admission webhook or policy may see the apply
// of an object of kind gvk, so that its dry run may be spared. Not knowing
// counts as seen.
func (p *permissions) unseen(ctx context.Context, gvk schema.GroupVersionKind) bool {
	return p.intercepted != nil && !p.intercepted(ctx)(gvk)
}

// mayPatch reports whether the user may patch the objects of kind gvk in
// namespace: in every namespace, which one question answers for all, or in
// this one. An error counts as no.
func (p *permissions) mayPatch(ctx context.Context, gvk schema.GroupVersionKind, namespace string) bool {
	if p.ask == nil {
		return false
	}
	return p.once(ctx, gvk, "") || (namespace != "" && p.once(ctx, gvk, namespace))
}

func (p *permissions) once(ctx context.Context, gvk schema.GroupVersionKind, namespace string) bool {
	key := permissionKey{gvk, namespace}
	p.mu.Lock()
	allowed, ok := p.known[key]
	if !ok {
		allowed = sync.OnceValue(func() bool {
			ok, err := p.ask(ctx, gvk, namespace)
			return err == nil && ok
		})
		p.known[key] = allowed
	}
	p.mu.Unlock()
	return allowed()
}
