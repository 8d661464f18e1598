package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// captureApps is how many applications testdata/live.json.gz holds: enough
// for each kind of edit to drift one of them.
const captureApps = 16

// capturePath is where TestCaptureLive writes the live objects.
var capturePath = filepath.Join("testdata", "live.json.gz")

// TestCaptureLive records what the benchmark's applications become in a
// real cluster, drifted as `make bench` drifts them: the live objects with
// the defaults, managedFields and status the API server and the
// controllers give them. The engine benchmarks judge against copies of
// them, so that they measure the engine on real objects without a cluster.
// It runs only when KUBEDRIFT_CAPTURE is set:
//
//	KUBEDRIFT_CAPTURE=1 go test -run CaptureLive ./internal/bench/
func TestCaptureLive(t *testing.T) {
	if os.Getenv("KUBEDRIFT_CAPTURE") == "" {
		t.Skip("set KUBEDRIFT_CAPTURE=1 to record testdata/live.json.gz from a test cluster")
	}
	ctx := t.Context()
	c, err := testcluster.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	n := captureApps * objectsPerApp
	s, err := newSeeder(c.Admin, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.seed(ctx, Generate(n)); err != nil {
		t.Fatal(err)
	}
	if err := s.drift(ctx, edits(n), apps(n)); err != nil {
		t.Fatal(err)
	}
	var items []any
	for kind, gvr := range resources {
		if kind == "CustomResourceDefinition" {
			continue
		}
		list, err := s.dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list.Items {
			ns := o.GetNamespace()
			if kind == "Namespace" {
				ns = o.GetName()
			}
			name := o.GetName()
			if !strings.HasPrefix(ns, "bench-") || name == "default" || name == "kube-root-ca.crt" {
				continue
			}
			o.SetGroupVersionKind(schema.GroupVersionKind{Group: gvr.Group, Version: gvr.Version, Kind: kind})
			items = append(items, o.Object)
		}
	}
	slices.SortFunc(items, func(a, b any) int {
		return strings.Compare(sortKey(a), sortKey(b))
	})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	if err := enc.Encode(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(capturePath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d live objects in %s", len(items), capturePath)
}

func sortKey(v any) string {
	o := unstructured.Unstructured{Object: v.(map[string]any)}
	return o.GetNamespace() + "/" + o.GetKind() + "/" + o.GetName()
}

// captured is testdata/live.json.gz read: the live objects of each captured
// application, as JSON, by application.
var captured = sync.OnceValues(func() ([][]byte, error) {
	f, err := os.Open(capturePath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	var list struct{ Items []map[string]any }
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("read %s: %w", capturePath, err)
	}
	byApp := make([][]map[string]any, captureApps)
	for _, item := range list.Items {
		o := unstructured.Unstructured{Object: item}
		ns := o.GetNamespace()
		if ns == "" {
			ns = o.GetName()
		}
		var i int
		if _, err := fmt.Sscanf(ns, "bench-%d", &i); err != nil || i >= captureApps {
			return nil, fmt.Errorf("read %s: object in namespace %q", capturePath, ns)
		}
		byApp[i] = append(byApp[i], item)
	}
	out := make([][]byte, captureApps)
	for i, objs := range byApp {
		if out[i], err = json.Marshal(objs); err != nil {
			return nil, err
		}
	}
	return out, nil
})

// liveObjects returns the live objects of the applications that make about
// n objects: the captured ones, application i a copy of captured
// application i mod captureApps in its own namespace, drifted the same way.
func liveObjects(tb testing.TB, n int) []*unstructured.Unstructured {
	tb.Helper()
	apps0, err := captured()
	if err != nil {
		tb.Fatalf("%v (record it with KUBEDRIFT_CAPTURE=1 go test -run CaptureLive ./internal/bench/)", err)
	}
	var out []*unstructured.Unstructured
	for i := range apps(n) {
		b := bytes.ReplaceAll(apps0[i%captureApps], []byte(appNamespace(i%captureApps)), []byte(appNamespace(i)))
		var objs []map[string]any
		if err := json.Unmarshal(b, &objs); err != nil {
			tb.Fatal(err)
		}
		for _, o := range objs {
			out = append(out, &unstructured.Unstructured{Object: integers(o).(map[string]any)})
		}
	}
	return out
}

// integers turns the float64s that encoding/json decodes numbers to into the
// int64s the API client decodes whole numbers to.
func integers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = integers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = integers(e)
		}
	case float64:
		if v == float64(int64(v)) {
			return int64(v)
		}
	}
	return v
}

// fakeCluster serves fixed live objects to the drift engine, with the
// structure of built-in kinds as client-go knows it, and answers a dry run
// with the live object, or the manifest for a missing one: what a server
// answers for an object in sync, at no cost, so that a benchmark measures
// the engine alone.
type fakeCluster struct {
	byKind map[schema.GroupKind][]unstructured.Unstructured
	byKey  map[objectKey]*unstructured.Unstructured
	types  managedfields.TypeConverter
	custom managedfields.TypeConverter
	// answers are what the dry runs answer, by object; without one, a dry
	// run answers with the live object, or the manifest for a missing one.
	answers map[objectKey]*unstructured.Unstructured
	// listAllErr fails every list across all namespaces, after its first
	// page; forbidPatch makes
	// MayPatch say no; interceptedKind is a kind an admission webhook
	// sees, and interceptErr fails Intercepted.
	listAllErr      error
	forbidPatch     bool
	interceptedKind string
	interceptErr    error
	// serving, when set, is told each page of a list, as it is handed on.
	serving func(page []unstructured.Unstructured)

	mu sync.Mutex
	// lists, listsAll and dryRuns count the requests a real cluster would
	// have answered.
	lists, listsAll, dryRuns int
}

type objectKey struct {
	gk              schema.GroupKind
	namespace, name string
}

func keyOf(o *unstructured.Unstructured) objectKey {
	return objectKey{o.GroupVersionKind().GroupKind(), o.GetNamespace(), o.GetName()}
}

func newFakeCluster(live []*unstructured.Unstructured) *fakeCluster {
	f := &fakeCluster{
		byKind: map[schema.GroupKind][]unstructured.Unstructured{},
		byKey:  map[objectKey]*unstructured.Unstructured{},
		types:  applyconfigurations.NewTypeConverter(scheme.Scheme),
		custom: managedfields.NewDeducedTypeConverter(),
	}
	for _, o := range live {
		gk := o.GroupVersionKind().GroupKind()
		f.byKind[gk] = append(f.byKind[gk], *o)
		f.byKey[keyOf(o)] = o
	}
	return f
}

// answerAsOffline makes the dry runs answer what offline mode makes of the
// manifests: close to what a server answers, and known before the clock
// starts.
func (f *fakeCluster) answerAsOffline(tb testing.TB, manifests []*unstructured.Unstructured) {
	tb.Helper()
	desired := make([]drift.Desired, len(manifests))
	for i, m := range manifests {
		desired[i] = drift.Desired{Object: m}
	}
	rep := drift.NewEngine(f, f, drift.Options{Mode: drift.ModeOffline, ShowSecrets: true}).Check(tb.Context(), desired)
	f.answers = map[objectKey]*unstructured.Unstructured{}
	for _, r := range rep.Results {
		if r.Want == nil {
			tb.Fatalf("%v: %v %v", r.Ref, r.Status, r.Err)
		}
		f.answers[keyOf(r.Want)] = r.Want
	}
}

func (f *fakeCluster) Namespaced(gvk schema.GroupVersionKind) (bool, error) {
	return gvk.Kind != "Namespace", nil
}

// list returns copies of the objects of a kind, as a client decodes them
// afresh for every list.
func (f *fakeCluster) list(gvk schema.GroupVersionKind, keep func(*unstructured.Unstructured) bool) []unstructured.Unstructured {
	var out []unstructured.Unstructured
	for i := range f.byKind[gvk.GroupKind()] {
		if o := &f.byKind[gvk.GroupKind()][i]; keep(o) {
			out = append(out, *o.DeepCopy())
		}
	}
	return out
}

func (f *fakeCluster) count(n *int) {
	f.mu.Lock()
	*n++
	f.mu.Unlock()
}

func (f *fakeCluster) List(_ context.Context, gvk schema.GroupVersionKind, namespace string) ([]unstructured.Unstructured, error) {
	f.count(&f.lists)
	return f.list(gvk, func(o *unstructured.Unstructured) bool { return o.GetNamespace() == namespace }), nil
}

// ListPages reads as List does, or across all namespaces, in pages. A list
// across all namespaces fails with listAllErr after its first page.
func (f *fakeCluster) ListPages(ctx context.Context, gvk schema.GroupVersionKind, namespace string, limit int, in func(string) bool, page func([]unstructured.Unstructured) error) error {
	namespaced, err := f.Namespaced(gvk)
	if err != nil {
		return err
	}
	var items []unstructured.Unstructured
	all := namespace == "" && namespaced
	if all {
		f.count(&f.listsAll)
		items = f.list(gvk, func(o *unstructured.Unstructured) bool { return in == nil || in(o.GetNamespace()) })
	} else {
		items, _ = f.List(ctx, gvk, namespace)
	}
	for first := 0; first < len(items) || first == 0; first += limit {
		if first > 0 && all && f.listAllErr != nil {
			return f.listAllErr
		}
		p := items[first:min(first+limit, len(items))]
		if f.serving != nil {
			f.serving(p)
		}
		if err := page(p); err != nil {
			return err
		}
	}
	if all && f.listAllErr != nil {
		return f.listAllErr // a list of one page
	}
	return nil
}

func (f *fakeCluster) Get(_ context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	if o, ok := f.byKey[objectKey{gvk.GroupKind(), namespace, name}]; ok {
		return o.DeepCopy(), nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: strings.ToLower(gvk.Kind) + "s"}, name)
}

func (f *fakeCluster) TypeConverter(gv schema.GroupVersion) (managedfields.TypeConverter, error) {
	if gv.Group == widgetGroup {
		return f.custom, nil
	}
	return f.types, nil
}

func (f *fakeCluster) DryRunApply(ctx context.Context, obj *unstructured.Unstructured, _ string) (*unstructured.Unstructured, error) {
	f.count(&f.dryRuns)
	if a, ok := f.answers[keyOf(obj)]; ok {
		return a.DeepCopy(), nil
	}
	live, err := f.Get(ctx, obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())
	if apierrors.IsNotFound(err) {
		return obj.DeepCopy(), nil
	}
	return live, err
}

func (f *fakeCluster) MayPatch(context.Context, schema.GroupVersionKind, string) (bool, error) {
	return !f.forbidPatch, nil
}

func (f *fakeCluster) Intercepted(context.Context) (func(schema.GroupVersionKind) bool, error) {
	return func(gvk schema.GroupVersionKind) bool { return gvk.Kind == f.interceptedKind }, f.interceptErr
}

// resetCounts forgets the requests counted so far.
func (f *fakeCluster) resetCounts() {
	f.mu.Lock()
	f.lists, f.listsAll, f.dryRuns = 0, 0, 0
	f.mu.Unlock()
}

var (
	_ drift.LiveReader      = (*fakeCluster)(nil)
	_ drift.PageLister      = (*fakeCluster)(nil)
	_ drift.DryRunner       = (*fakeCluster)(nil)
	_ drift.PatchPermission = (*fakeCluster)(nil)
)
