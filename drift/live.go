package drift

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

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

// readLive reads the live state of the object at refs[i] for every i in
// todo, with one list per kind and namespace, or one per kind across all
// namespaces when its objects span manyNamespaces or more, and hands each
// object's to ready as soon as it is known, once; it returns the verdicts
// on the listed objects that are Owned but not desired, in the namespaces
// of desired objects only or, with Options.AllNamespaces, in every
// namespace, and the problems that kept it from looking for them
// everywhere it was asked to.
//
// Where the LiveReader reads page by page (PageLister), the objects of each
// page are handed on before the next page is asked for, and the next waits
// until it fits beside the objects read or asked for and not yet judged
// (see checkRun.room).
// A list across all namespaces that fails (the user may list only in some)
// is followed by a list per namespace; the objects of a list per namespace
// that failed are read one by one, so that each gets its own verdict.
func (e *Engine) readLive(ctx context.Context, refs []Ref, todo []int, run *checkRun, ready func(i int, state liveState)) (unmanaged []Result, problems []error) {
	rd := newLiveReading(e, refs, todo, run, ready)
	parallel(e.opts.Workers, rd.lists, func(l liveList) { rd.read(ctx, l) })
	parallel(e.opts.Workers, rd.retry, func(l liveList) { rd.read(ctx, l) })
	parallel(e.opts.Workers, rd.orphan, func(i int) { rd.get(ctx, i) })
	return rd.unmanaged, rd.problems
}

// liveGroup is the desired objects of one kind in one namespace.
type liveGroup struct {
	gvk       schema.GroupVersionKind
	namespace string
}

// liveList is one list request: it reads the live objects of the groups it
// covers, one group, or every group of a kind when it reads across all
// namespaces (all). Everywhere, it also looks for unmanaged objects in the
// namespaces of no group.
type liveList struct {
	gvk             schema.GroupVersionKind
	namespace       string
	groups          []liveGroup
	all, everywhere bool
}

// known is one object's live state, as the reading learnt it.
type known struct {
	i     int
	state liveState
}

// declaredKey is a desired object in any version of its kind.
type declaredKey struct{ group, kind, namespace, name string }

// liveKey is a live object of one version of its kind.
type liveKey struct {
	gvk             schema.GroupVersionKind
	namespace, name string
}

// liveReading is one readLive: the lists it plans, and what the lists,
// which run in parallel, found so far.
type liveReading struct {
	e     *Engine
	refs  []Ref
	run   *checkRun
	ready func(i int, state liveState)
	pager PageLister // nil when the LiveReader cannot list page by page

	members map[liveGroup]map[string]int // desired objects by name
	// declared are the desired objects in any version of their kind: an
	// object of a kind desired in two versions (an autoscaling/v1 and an
	// autoscaling/v2 HorizontalPodAutoscaler) is listed in both.
	declared map[declaredKey]bool
	lists    []liveList

	mu        sync.Mutex
	handed    []bool           // the objects whose state is known
	reported  map[liveKey]bool // the unmanaged objects found
	retry     []liveList       // lists across all namespaces that failed, by namespace
	orphan    []int            // objects of failed lists, to read one by one
	unmanaged []Result
	problems  []error
}

// newLiveReading plans the lists that read the live state of the object at
// refs[i] for every i in todo.
func newLiveReading(e *Engine, refs []Ref, todo []int, run *checkRun, ready func(i int, state liveState)) *liveReading {
	rd := &liveReading{
		e: e, refs: refs, run: run, ready: ready,
		members: map[liveGroup]map[string]int{}, declared: map[declaredKey]bool{},
		handed: make([]bool, len(refs)), reported: map[liveKey]bool{},
	}
	rd.pager, _ = e.live.(PageLister)
	if e.opts.Owned != nil { // unmanaged objects are looked for
		for _, i := range todo {
			r := refs[i]
			rd.declared[declaredKey{r.Group, r.Kind, r.Namespace, r.Name}] = true
		}
	}
	namespaces := map[schema.GroupVersionKind][]liveGroup{}
	var kinds []schema.GroupVersionKind
	for _, i := range todo {
		g := liveGroup{refs[i].GroupVersionKind(), refs[i].Namespace}
		if _, ok := rd.members[g]; !ok {
			if _, ok := namespaces[g.gvk]; !ok {
				kinds = append(kinds, g.gvk)
			}
			namespaces[g.gvk] = append(namespaces[g.gvk], g)
			rd.members[g] = map[string]int{}
		}
		rd.members[g][refs[i].Name] = i
	}
	for _, gvk := range kinds {
		groups := namespaces[gvk]
		everywhere := e.opts.AllNamespaces && e.opts.Owned != nil && groups[0].namespace != ""
		if everywhere && rd.pager == nil {
			rd.problems = append(rd.problems, fmt.Errorf("unmanaged %s objects were looked for only in the namespaces of the manifests: this cluster reader cannot list across namespaces", gvk.GroupKind()))
			everywhere = false
		}
		if rd.pager != nil && (everywhere || len(groups) >= manyNamespaces) {
			rd.lists = append(rd.lists, liveList{gvk: gvk, groups: groups, all: true, everywhere: everywhere})
			continue
		}
		for _, g := range groups {
			rd.lists = append(rd.lists, liveList{gvk: gvk, namespace: g.namespace, groups: []liveGroup{g}})
		}
	}
	return rd
}

// listPages lists gvk in namespace ("" for all, then only those in says yes to)
// and calls page with each page of at most pageSize objects, or with all of
// them at once where the LiveReader cannot list page by page.
func (rd *liveReading) listPages(ctx context.Context, gvk schema.GroupVersionKind, namespace string, in func(string) bool, page func([]unstructured.Unstructured) error) error {
	if rd.pager != nil {
		return rd.pager.ListPages(ctx, gvk, namespace, pageSize, in, page)
	}
	items, err := rd.e.live.List(ctx, gvk, namespace)
	if err != nil {
		return err
	}
	return page(items)
}

// take matches the live objects of a page of list l with the desired
// objects not yet handed on, and finds the unmanaged ones; it is called
// with mu held.
func (rd *liveReading) take(l liveList, items []unstructured.Unstructured) (out []known) {
	owned := rd.e.opts.Owned
	for j := range items {
		live := &items[j]
		g := liveGroup{l.gvk, live.GetNamespace()}
		if !l.all {
			g = l.groups[0]
		}
		byName, desiredHere := rd.members[g]
		if i, ok := byName[live.GetName()]; ok {
			if !rd.handed[i] {
				rd.handed[i] = true
				out = append(out, known{i, liveState{obj: live}})
			}
			continue
		}
		k := liveKey{l.gvk, live.GetNamespace(), live.GetName()}
		if (desiredHere || l.everywhere) && owned != nil && !rd.reported[k] && owned(live) &&
			!rd.declared[declaredKey{l.gvk.Group, l.gvk.Kind, live.GetNamespace(), live.GetName()}] &&
			metav1.GetControllerOfNoCopy(live) == nil {
			// An object a controller owns (a Deployment's ReplicaSet,
			// which has its annotations) is the controller's.
			rd.reported[k] = true
			rd.unmanaged = append(rd.unmanaged, rd.e.unmanaged(l.gvk, live))
		}
	}
	return out
}

// rest returns the objects of l's groups not yet handed on, as state gives
// their state; it is called with mu held.
func (rd *liveReading) rest(l liveList, state liveState) (out []known) {
	for _, g := range l.groups {
		for _, i := range rd.members[g] {
			if !rd.handed[i] {
				rd.handed[i] = true
				out = append(out, known{i, state})
			}
		}
	}
	return out
}

// hand gives the objects read to the judging, outside mu: it waits for the
// judges. They were read in a page of asked objects that room counted, or
// otherwise with asked 0.
func (rd *liveReading) hand(out []known, asked int) {
	rd.run.read(len(out), asked)
	for _, k := range out {
		rd.ready(k.i, k.state)
	}
}

// pageRoom is the room a page of list l takes while its objects wait for
// the judges: a page's worth, or fewer where the list reads fewer desired
// objects. The other objects of a page are let go as soon as it is read.
func (rd *liveReading) pageRoom(l liveList) int {
	n := 0
	for _, g := range l.groups {
		n += len(rd.members[g])
	}
	return min(n, pageSize)
}

// read runs list l, page by page, and hands on what it finds; a list that
// fails is retried by namespace, or its objects read one by one.
func (rd *liveReading) read(ctx context.Context, l liveList) {
	run := rd.run
	// The room of the page asked for next, given back when it is read, or,
	// for the page that never comes, when the list ends.
	room := rd.pageRoom(l)
	run.room(room)
	var in func(string) bool
	if l.all && !l.everywhere {
		wanted := make(map[string]bool, len(l.groups))
		for _, g := range l.groups {
			wanted[g.namespace] = true
		}
		in = func(ns string) bool { return wanted[ns] }
	}
	// A list holds a request token while it asks for a page, not while
	// its objects wait for the judges, who may need tokens for their dry
	// runs.
	err := ctx.Err()
	if held := run.request(ctx); held {
		err = rd.listPages(ctx, l.gvk, l.namespace, in, func(items []unstructured.Unstructured) error {
			run.done()
			held = false
			rd.mu.Lock()
			out := rd.take(l, items)
			rd.mu.Unlock()
			rd.hand(out, room)
			run.room(room)
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
	defer func() { rd.hand(out, room) }()
	rd.mu.Lock()
	defer rd.mu.Unlock()
	switch {
	case err == nil:
		out = rd.rest(l, liveState{}) // not listed: missing
	case ctx.Err() != nil:
		out = rd.rest(l, liveState{err: ctx.Err()})
	case l.all:
		if l.everywhere {
			rd.problems = append(rd.problems, fmt.Errorf("unmanaged %s objects were looked for only in the namespaces of the manifests: listing them in all namespaces failed: %w", l.gvk.GroupKind(), err))
		}
		for _, g := range l.groups {
			rd.retry = append(rd.retry, liveList{gvk: g.gvk, namespace: g.namespace, groups: []liveGroup{g}})
		}
	default:
		for _, g := range l.groups {
			for _, i := range rd.members[g] {
				if !rd.handed[i] {
					rd.orphan = append(rd.orphan, i)
				}
			}
		}
	}
}

// get reads the object at refs[i] alone, after its list failed.
func (rd *liveReading) get(ctx context.Context, i int) {
	ref := rd.refs[i]
	var (
		live *unstructured.Unstructured
		err  = ctx.Err()
	)
	if rd.run.request(ctx) {
		live, err = rd.e.live.Get(ctx, ref.GroupVersionKind(), ref.Namespace, ref.Name)
		rd.run.done()
	}
	if apierrors.IsNotFound(err) {
		live, err = nil, nil
	}
	rd.mu.Lock()
	rd.handed[i] = true
	rd.mu.Unlock()
	rd.hand([]known{{i, liveState{obj: live, err: err}}}, 0)
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
