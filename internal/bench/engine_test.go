package main

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubedrift/kubedrift/drift"
)

// The engine's shortcuts for large checks (one list per kind across
// namespaces, dry runs spared where an apply provably changes nothing) must
// not change a verdict. These tests judge the benchmark's applications,
// copies of real live objects, with and without them.

// checkVerdicts judges Generate(n) against f and returns the refs of the
// objects found drifted or missing.
func checkVerdicts(t *testing.T, f *fakeCluster, n int, opts drift.Options) map[string]bool {
	t.Helper()
	manifests := Generate(n)
	desired := make([]drift.Desired, len(manifests))
	for i, m := range manifests {
		desired[i] = drift.Desired{Object: m}
	}
	var judged atomic.Int64
	progress := func(drift.Result, int, int) { judged.Add(1) }
	rep := drift.NewEngine(f, f, opts).CheckWith(t.Context(), desired, drift.CheckOptions{Progress: progress})
	if judged.Load() != int64(n) {
		t.Errorf("%d verdicts reached on %d objects", judged.Load(), n)
	}
	found := map[string]bool{}
	for _, r := range rep.Results {
		switch r.Status {
		case drift.Error:
			t.Fatalf("%v: %v", r.Ref, r.Err)
		case drift.Drifted, drift.Missing:
			found[r.Ref.String()] = true
		}
	}
	return found
}

func seededRefs(n int) map[string]bool {
	refs := map[string]bool{}
	for _, e := range edits(n) {
		refs[e.ref] = true
	}
	return refs
}

func TestVerdictsInEveryMode(t *testing.T) {
	const n = 400
	f := newFakeCluster(liveObjects(t, n))
	f.answerAsOffline(t, Generate(n))
	want := seededRefs(n)
	for _, tt := range []struct {
		name string
		opts drift.Options
	}{
		{"offline", drift.Options{Mode: drift.ModeOffline}},
		{"server", drift.Options{Mode: drift.ModeServer}},
		{"auto", drift.Options{Mode: drift.ModeAuto}},
		{"auto sparing dry runs", drift.Options{Mode: drift.ModeAuto, SpareDryRuns: true}},
		{"server sparing dry runs", drift.Options{Mode: drift.ModeServer, SpareDryRuns: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkVerdicts(t, f, n, tt.opts); !maps.Equal(got, want) {
				t.Errorf("%s", compare("the engine", got, "the seeding", want))
			}
		})
	}
}

func TestListsOncePerKind(t *testing.T) {
	const n = 400 // 20 namespaces: enough for one list across them
	f := newFakeCluster(liveObjects(t, n))
	want := seededRefs(n)
	if got := checkVerdicts(t, f, n, drift.Options{Mode: drift.ModeOffline}); !maps.Equal(got, want) {
		t.Errorf("%s", compare("the engine", got, "the seeding", want))
	}
	// Namespaces are cluster-scoped: one plain list, and one of the
	// CustomResourceDefinitions, read once for the defaults of the custom
	// kind (widgets) judged offline; the eight namespaced kinds: one list
	// across namespaces each.
	if f.lists != 2 || f.listsAll != len(kinds)-1 {
		t.Errorf("%d lists, %d across namespaces; want 2 and %d", f.lists, f.listsAll, len(kinds)-1)
	}

	// A user who may list only in some namespaces is read namespace by
	// namespace.
	f.resetCounts()
	f.listAllErr = apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "", errors.New("not at cluster scope"))
	if got := checkVerdicts(t, f, n, drift.Options{Mode: drift.ModeOffline}); !maps.Equal(got, want) {
		t.Errorf("after a forbidden list: %s", compare("the engine", got, "the seeding", want))
	}
	if want := 2 + (len(kinds)-1)*apps(n); f.lists != want {
		t.Errorf("%d lists after the lists across namespaces failed, want one per kind and namespace (%d)", f.lists, want)
	}
}

// TestHoldsAPageOfLiveObjects: however many kinds are listed at once, the
// live objects read and not yet judged are never more than a page's worth:
// a page is asked for only when it fits beside them, not a page per list.
func TestHoldsAPageOfLiveObjects(t *testing.T) {
	const n = 2000 // eight namespaced kinds, several of them over a page
	f := newFakeCluster(liveObjects(t, n))
	var (
		mu                                   sync.Mutex
		served, judged, most, pages, largest int
	)
	f.serving = func(page []unstructured.Unstructured) {
		mu.Lock()
		defer mu.Unlock()
		served += len(page)
		most = max(most, served-judged)
		largest = max(largest, len(page))
		pages++
	}
	progress := func(drift.Result, int, int) {
		mu.Lock()
		judged++
		mu.Unlock()
	}
	desired := make([]drift.Desired, 0, n)
	for _, m := range Generate(n) {
		desired = append(desired, drift.Desired{Object: m})
	}
	const workers = 8
	drift.NewEngine(f, f, drift.Options{Mode: drift.ModeOffline, Workers: workers}).CheckWith(t.Context(), desired, drift.CheckOptions{Progress: progress})
	if pages < len(kinds) {
		t.Fatalf("%d pages served, want one per kind at least", pages)
	}
	// A judge counts its verdict out of the room a moment before progress
	// hears of it: each worker may be that moment behind.
	if most > largest+workers {
		t.Errorf("%d objects read and not judged at once, in pages of up to %d, want a page's worth at most", most, largest)
	}
}

// TestUnmanagedAcrossNamespaces: with AllNamespaces, a live object that no
// manifest declares is found once, also where the list across namespaces
// fails after its first page and is read again namespace by namespace.
func TestUnmanagedAcrossNamespaces(t *testing.T) {
	const n = 400
	f := newFakeCluster(liveObjects(t, n))
	var desired []drift.Desired
	var leftover string
	for _, m := range Generate(n) {
		if m.GetKind() == "ConfigMap" && leftover == "" {
			leftover = drift.RefOf(m).String() // the first listed
			continue
		}
		desired = append(desired, drift.Desired{Object: m})
	}
	owned := func(*unstructured.Unstructured) bool { return true }
	for _, listAllErr := range []error{nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "", errors.New("not at cluster scope"))} {
		f.listAllErr = listAllErr
		rep := drift.NewEngine(f, f, drift.Options{Mode: drift.ModeOffline, Owned: owned, AllNamespaces: true}).Check(t.Context(), desired)
		var unmanaged []string
		for _, r := range rep.Results {
			if r.Status == drift.Unmanaged {
				unmanaged = append(unmanaged, r.Ref.String())
			}
		}
		if !slices.Equal(unmanaged, []string{leftover}) {
			t.Errorf("list across namespaces failing with %v: unmanaged %q, want %q", listAllErr, unmanaged, leftover)
		}
		if got := len(rep.Problems) > 0; got != (listAllErr != nil) {
			t.Errorf("list across namespaces failing with %v: problems %v", listAllErr, rep.Problems)
		}
	}
}

func TestSpareDryRuns(t *testing.T) {
	const n = 400
	f := newFakeCluster(liveObjects(t, n))
	f.answerAsOffline(t, Generate(n))

	checkVerdicts(t, f, n, drift.Options{Mode: drift.ModeAuto})
	if f.dryRuns != n {
		t.Errorf("%d dry runs without SpareDryRuns, want one per object (%d)", f.dryRuns, n)
	}

	// Only what an apply would change is dry-run: the drifted objects
	// and the missing ones.
	f.resetCounts()
	checkVerdicts(t, f, n, drift.Options{Mode: drift.ModeAuto, SpareDryRuns: true})
	if want := len(edits(n)); f.dryRuns != want {
		t.Errorf("%d dry runs with SpareDryRuns, want %d", f.dryRuns, want)
	}

	// Where the user may not patch, nothing is spared: the dry run's
	// refusal is part of the verdict.
	f.resetCounts()
	f.forbidPatch = true
	checkVerdicts(t, f, n, drift.Options{Mode: drift.ModeAuto, SpareDryRuns: true})
	if f.dryRuns != n {
		t.Errorf("%d dry runs where patching is forbidden, want %d", f.dryRuns, n)
	}

	// Server mode spares them as well.
	f.resetCounts()
	f.forbidPatch = false
	checkVerdicts(t, f, n, drift.Options{Mode: drift.ModeServer, SpareDryRuns: true})
	if want := len(edits(n)); f.dryRuns != want {
		t.Errorf("%d dry runs in server mode with SpareDryRuns, want %d", f.dryRuns, want)
	}

	// The objects of a kind an admission webhook sees are all dry-run.
	f.resetCounts()
	f.interceptedKind = "ConfigMap"
	checkVerdicts(t, f, n, drift.Options{Mode: drift.ModeAuto, SpareDryRuns: true})
	want := len(edits(n))
	for _, obj := range Generate(n) {
		if obj.GetKind() == "ConfigMap" {
			want++
		}
	}
	for _, e := range edits(n) {
		if strings.HasPrefix(e.ref, "ConfigMap ") {
			want-- // counted twice
		}
	}
	if f.dryRuns != want {
		t.Errorf("%d dry runs where a webhook sees ConfigMaps, want %d", f.dryRuns, want)
	}

	// One object judged again is dry-run: sparing it would cost more
	// requests than it saves.
	f.resetCounts()
	f.interceptedKind = ""
	e := drift.NewEngine(f, f, drift.Options{Mode: drift.ModeAuto, SpareDryRuns: true})
	if r := e.Judge(t.Context(), drift.Desired{Object: Generate(n)[1]}); r.Status != drift.InSync || f.dryRuns != 1 {
		t.Errorf("Judge: %v with %d dry runs, want in sync with 1", r.Status, f.dryRuns)
	}

	// Where the webhooks cannot be read, nothing is spared.
	f.resetCounts()
	f.interceptedKind, f.interceptErr = "", errors.New("forbidden")
	checkVerdicts(t, f, n, drift.Options{Mode: drift.ModeAuto, SpareDryRuns: true})
	if f.dryRuns != n {
		t.Errorf("%d dry runs where the webhooks cannot be read, want %d", f.dryRuns, n)
	}
}

func TestGenerate(t *testing.T) {
	objs := Generate(200)
	if len(objs) != 200 {
		t.Fatalf("%d objects, want 200", len(objs))
	}
	names := map[string]bool{}
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		name := refName(gvk.Group, gvk.Kind, o.GetNamespace(), o.GetName())
		if names[name] {
			t.Errorf("%s twice", name)
		}
		names[name] = true
	}
	drifted := slices.Collect(maps.Keys(seededRefs(200)))
	if len(drifted) != 200/driftEvery {
		t.Errorf("%d drifted, want %d", len(drifted), 200/driftEvery)
	}
	for _, r := range drifted {
		if !names[r] {
			t.Errorf("the edit of %s drifts no generated object", r)
		}
	}
}
