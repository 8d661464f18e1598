package drift

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
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

// DryRunner answers what an object would look like after a reconcile.
type DryRunner interface {
	// DryRunApply sends obj as a forced server-side apply by fieldManager,
	// with dry run, and returns the object the server would store.
	DryRunApply(ctx context.Context, obj *unstructured.Unstructured, fieldManager string) (*unstructured.Unstructured, error)
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
	// unmanaged objects found. Nil owns nothing.
	Owned func(live *unstructured.Unstructured) bool
	// Ignore removes fields from the comparison: ignored fields change
	// neither a verdict nor a diff. Nil ignores nothing.
	Ignore *IgnoreRules
	// Workers bounds the requests in flight at once, lists and dry runs
	// alike; 0 means 8.
	Workers int
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
	return &Engine{live: live, dryRun: dryRun, opts: opts}
}

// Check judges every desired object and returns the verdicts sorted by Ref.
// A failure on one object is that object's Error verdict and never stops the
// others from being judged; Check itself only stops early when ctx is done,
// leaving the objects it did not reach as errors.
func (e *Engine) Check(ctx context.Context, desired []Desired) *Report {
	results := make([]Result, len(desired))
	objects := make([]*unstructured.Unstructured, len(desired))
	todo := make([]int, 0, len(desired))
	seen := make(map[Ref]Desired, len(desired))
	plan := planOf(desired)

	for i, d := range desired {
		obj, err := e.resolve(d.Object)
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
		if e.opts.Progress != nil {
			e.opts.Progress(*r, int(judged.Add(1)), len(desired))
		}
	}
	for i := range results {
		if objects[i] == nil {
			progress(&results[i])
		}
	}
	lives, unmanaged := e.readLive(ctx, objects, todo)
	parallel(e.opts.Workers, todo, func(i int) {
		e.judge(ctx, objects[i], lives[i], plan, &results[i])
		progress(&results[i])
	})

	r := &Report{Results: append(results, unmanaged...)}
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

// readLive reads the live state of objects[i] for every i in todo, with one
// list per kind and namespace, and returns it by index, with the verdicts on
// the listed objects that are Owned but not desired. Objects of a list that
// failed are read one by one, so that each gets its own verdict.
func (e *Engine) readLive(ctx context.Context, objects []*unstructured.Unstructured, todo []int) (map[int]liveState, []Result) {
	type group struct {
		gvk       schema.GroupVersionKind
		namespace string
	}
	members := map[group][]int{}
	var groups []group
	for _, i := range todo {
		g := group{objects[i].GroupVersionKind(), objects[i].GetNamespace()}
		if _, ok := members[g]; !ok {
			groups = append(groups, g)
		}
		members[g] = append(members[g], i)
	}

	var (
		mu        sync.Mutex
		lives     = make(map[int]liveState, len(todo))
		orphan    []int // objects of failed lists
		unmanaged []Result
	)
	parallel(e.opts.Workers, groups, func(g group) {
		items, err := e.live.List(ctx, g.gvk, g.namespace)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if ctx.Err() != nil {
				for _, i := range members[g] {
					lives[i] = liveState{err: ctx.Err()}
				}
				return
			}
			orphan = append(orphan, members[g]...)
			return
		}
		byName := make(map[string]*unstructured.Unstructured, len(items))
		for j := range items {
			byName[items[j].GetName()] = &items[j]
		}
		for _, i := range members[g] {
			lives[i] = liveState{obj: byName[objects[i].GetName()]}
			delete(byName, objects[i].GetName())
		}
		for _, live := range byName {
			if e.opts.Owned != nil && e.opts.Owned(live) {
				unmanaged = append(unmanaged, e.unmanaged(g.gvk, live))
			}
		}
	})
	parallel(e.opts.Workers, orphan, func(i int) {
		obj := objects[i]
		live, err := e.live.Get(ctx, obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())
		if apierrors.IsNotFound(err) {
			live, err = nil, nil
		}
		mu.Lock()
		lives[i] = liveState{obj: live, err: err}
		mu.Unlock()
	})
	return lives, unmanaged
}

// unmanaged returns the verdict on a live object that no manifest declares.
func (e *Engine) unmanaged(gvk schema.GroupVersionKind, live *unstructured.Unstructured) Result {
	r := Result{Status: Unmanaged, Mode: e.reportedMode(), Live: stripped(live), Note: "no manifest declares it"}
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
	namespaced, err := e.live.Namespaced(obj.GroupVersionKind())
	if meta.IsNoMatchError(err) {
		return obj, fmt.Errorf("%w: the cluster does not serve this kind (a typo in apiVersion or kind, or a CRD not installed yet?)", err)
	}
	if err != nil {
		return obj, err
	}
	out := stripped(obj)
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
func (e *Engine) judge(ctx context.Context, obj *unstructured.Unstructured, state liveState, plan plan, r *Result) {
	if err := ctx.Err(); err != nil {
		r.fail(err)
		return
	}
	if state.err != nil {
		r.fail(fmt.Errorf("read live object: %w", state.err))
		return
	}
	live := state.obj

	manager := applier(live, obj)
	want, err := e.answer(ctx, obj, live, manager, r)
	for retry := 0; err == nil && r.Mode == ModeServer && changedSince(live, want) && retry < 2; retry++ {
		// The object changed between the list and the dry run, as when a
		// controller catches up with a new object: judge it as it is now,
		// rather than compare a dry run of one version with another.
		fresh, getErr := e.live.Get(ctx, obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())
		switch {
		case apierrors.IsNotFound(getErr):
			fresh = nil
		case getErr != nil:
			r.fail(fmt.Errorf("read live object: %w", getErr))
			return
		}
		live = fresh
		manager = applier(live, obj)
		want, err = e.answer(ctx, obj, live, manager, r)
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

	r.Live, r.Want = stripped(live), stripped(want)
	if live != nil {
		dropClientSideDeletions(r.Want, obj, live)
		r.Ignored = e.opts.Ignore.Apply(r.Ref, r.Live, r.Want, live.GetManagedFields())
	}
	if !e.opts.ShowSecrets {
		maskSecrets(r.Live, r.Want)
	}
	if live != nil {
		r.Foreign = foreignFields(obj, live, r.Live, manager)
	}
	switch {
	case live == nil:
		r.Status = Missing
	case toYAML(r.Live) == toYAML(r.Want):
		r.Status = InSync
		if e.opts.Strict && len(r.Foreign) > 0 {
			r.Status = Drifted
			r.Note = "foreign fields count as drift with --strict"
		}
	default:
		r.Status = Drifted
		// From the masked objects, so that no change carries a secret.
		r.Changes = FieldChanges(r.Live, r.Want)
		Attribute(r.Changes, live.GetManagedFields())
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
func (e *Engine) answer(ctx context.Context, obj, live *unstructured.Unstructured, manager string, r *Result) (*unstructured.Unstructured, error) {
	if e.opts.Mode != ModeOffline {
		want, err := e.dryRun.DryRunApply(ctx, withBookkeeping(obj, live), manager)
		switch {
		case err == nil:
			return want, nil
		case e.opts.Mode == ModeServer || !apierrors.IsForbidden(err):
			return nil, dryRunError(err)
		}
		r.Mode, r.Note = ModeOffline, "judged offline: the dry run is forbidden"
	}
	if live == nil {
		return obj, nil
	}
	want, err := e.offlineWant(withBookkeeping(obj, live), live, manager)
	if err != nil {
		return nil, fmt.Errorf("offline: %w", err)
	}
	return want, nil
}

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
	var status apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &status) || status.Status().Details == nil {
		return false
	}
	for _, c := range status.Status().Details.Causes {
		if strings.Contains(c.Message, "immutable") {
			return true
		}
	}
	return false
}
