package drift

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"
)

// fakeCluster is a LiveReader and DryRunner over a fixed set of live objects.
// Its dry run answers as a server-side apply would in the simple case: the
// manifest, plus the fields the server keeps for itself, plus a kubedrift
// entry in managedFields.
type fakeCluster struct {
	// Read-only once the test starts.
	scope   map[schema.GroupKind]bool // served kinds: namespaced or not
	objects map[objectKey]*unstructured.Unstructured
	// getErr and dryRunErr fail the calls for the object of that name;
	// listErr fails every list, so that the engine falls back to Get.
	getErr, dryRunErr map[string]error
	listErr           error
	// stale holds, by name, an older version of an object that List
	// returns in its place, as a list read just before a controller wrote.
	stale map[string]*unstructured.Unstructured
	// block makes Get wait for its context to end; started receives a value
	// (without blocking) each time a Get begins.
	block   bool
	started chan struct{}

	mu sync.Mutex
	// gets records every read: a Get with its object's name, a List with
	// an empty one.
	gets        []Ref
	dryRuns     []*unstructured.Unstructured
	inFlight    int
	maxInFlight int
}

type objectKey struct{ group, kind, namespace, name string }

func keyOf(gvk schema.GroupVersionKind, namespace, name string) objectKey {
	return objectKey{gvk.Group, gvk.Kind, namespace, name}
}

// newFakeCluster returns a cluster serving a few core and apps kinds and
// holding the given live objects.
func newFakeCluster(live ...*unstructured.Unstructured) *fakeCluster {
	f := &fakeCluster{
		scope: map[schema.GroupKind]bool{
			{Kind: "Namespace"}:                 false,
			{Kind: "ConfigMap"}:                 true,
			{Kind: "Secret"}:                    true,
			{Kind: "Service"}:                   true,
			{Group: "apps", Kind: "Deployment"}: true,
			{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}: false,
		},
		objects:   map[objectKey]*unstructured.Unstructured{},
		getErr:    map[string]error{},
		dryRunErr: map[string]error{},
	}
	for _, obj := range live {
		f.objects[keyOf(obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())] = obj
	}
	return f
}

func (f *fakeCluster) Namespaced(gvk schema.GroupVersionKind) (bool, error) {
	namespaced, ok := f.scope[gvk.GroupKind()]
	if !ok {
		return false, &meta.NoKindMatchError{GroupKind: gvk.GroupKind(), SearchedVersions: []string{gvk.Version}}
	}
	return namespaced, nil
}

func (f *fakeCluster) List(ctx context.Context, gvk schema.GroupVersionKind, namespace string) ([]unstructured.Unstructured, error) {
	if err := f.startRead(ctx, Ref{gvk.Group, gvk.Version, gvk.Kind, namespace, ""}); err != nil {
		return nil, err
	}
	defer f.endRead()
	if f.listErr != nil {
		return nil, f.listErr
	}
	var items []unstructured.Unstructured
	for key, obj := range f.objects {
		if key.group == gvk.Group && key.kind == gvk.Kind && key.namespace == namespace {
			if old, ok := f.stale[key.name]; ok {
				obj = old
			}
			items = append(items, *obj.DeepCopy())
		}
	}
	time.Sleep(time.Millisecond)
	return items, nil
}

func (f *fakeCluster) Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	if err := f.startRead(ctx, Ref{gvk.Group, gvk.Version, gvk.Kind, namespace, name}); err != nil {
		return nil, err
	}
	defer f.endRead()
	if err := f.getErr[name]; err != nil {
		return nil, err
	}
	obj, ok := f.objects[keyOf(gvk, namespace, name)]
	if !ok {
		return nil, apierrors.NewNotFound(resourceOf(gvk), name)
	}
	// Give other workers a chance to overlap, so the bound on workers is
	// tested under some concurrency.
	time.Sleep(time.Millisecond)
	return obj.DeepCopy(), nil
}

// startRead records a read and counts it in flight; with block set it waits
// for the context to end and returns its error. Unless it returns an error,
// endRead must follow.
func (f *fakeCluster) startRead(ctx context.Context, r Ref) error {
	f.mu.Lock()
	f.gets = append(f.gets, r)
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	if f.started != nil {
		select {
		case f.started <- struct{}{}:
		default:
		}
	}
	if f.block {
		<-ctx.Done()
		f.endRead()
		return ctx.Err()
	}
	return nil
}

func (f *fakeCluster) endRead() {
	f.mu.Lock()
	f.inFlight--
	f.mu.Unlock()
}

// TypeConverter gives the built-in kinds' structure as client-go embeds it.
func (f *fakeCluster) TypeConverter(schema.GroupVersion) (managedfields.TypeConverter, error) {
	return builtinTypes, nil
}

var builtinTypes = applyconfigurations.NewTypeConverter(scheme.Scheme)

func (f *fakeCluster) DryRunApply(ctx context.Context, obj *unstructured.Unstructured, manager string) (*unstructured.Unstructured, error) {
	f.mu.Lock()
	f.dryRuns = append(f.dryRuns, obj.DeepCopy())
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := f.dryRunErr[obj.GetName()]; err != nil {
		return nil, err
	}
	out := obj.DeepCopy()
	live, exists := f.objects[keyOf(obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())]
	if !exists {
		if ns := obj.GetNamespace(); ns != "" {
			if _, ok := f.objects[objectKey{kind: "Namespace", name: ns}]; !ok {
				return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, ns)
			}
		}
		live = &unstructured.Unstructured{Object: map[string]any{}}
		live.SetUID("0d1e2f3a-new")
		live.SetResourceVersion("1")
		live.SetCreationTimestamp(metav1.NewTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)))
	}
	out.SetUID(live.GetUID())
	out.SetResourceVersion(live.GetResourceVersion())
	out.SetCreationTimestamp(live.GetCreationTimestamp())
	out.SetGeneration(live.GetGeneration() + 1)
	out.SetManagedFields(append(live.GetManagedFields(), metav1.ManagedFieldsEntry{
		Manager: manager, Operation: metav1.ManagedFieldsOperationApply, APIVersion: obj.GetAPIVersion(),
	}))
	if status, ok := live.Object["status"]; ok {
		out.Object["status"] = status
	}
	return out, nil
}

func resourceOf(gvk schema.GroupVersionKind) schema.GroupResource {
	return schema.GroupResource{Group: gvk.Group, Resource: strings.ToLower(gvk.Kind) + "s"}
}

// getsOf returns how many Gets the fake saw for objects named name.
func (f *fakeCluster) getsOf(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.gets {
		if r.Name == name {
			n++
		}
	}
	return n
}

// dryRunOf returns the object the fake was asked to dry-run under name.
func (f *fakeCluster) dryRunOf(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, obj := range f.dryRuns {
		if obj.GetName() == name {
			return obj
		}
	}
	t.Fatalf("no dry run of %q", name)
	return nil
}

// origin is a Desired.Origin in a file of that name.
func origin(file string) Origin { return Origin{File: file} }

func desired(t *testing.T, file, yaml string) Desired {
	t.Helper()
	return Desired{Object: fromYAML(t, yaml), Origin: origin(file)}
}

// asLive returns the manifest as the server would store it: with the fields
// the server manages for itself.
func asLive(t *testing.T, yaml string) *unstructured.Unstructured {
	t.Helper()
	obj := fromYAML(t, yaml)
	obj.SetUID("6b1f6a34-live")
	obj.SetResourceVersion("4711")
	obj.SetGeneration(2)
	obj.SetCreationTimestamp(metav1.NewTime(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)))
	obj.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "kubectl-client-side-apply", Operation: metav1.ManagedFieldsOperationUpdate}})
	if obj.GetKind() == "Deployment" {
		obj.Object["status"] = map[string]any{"replicas": int64(3), "readyReplicas": int64(3)}
	}
	return obj
}

// check runs the engine over desired objects and fails the test if it takes
// longer than a healthy run ever would.
func check(t *testing.T, ctx context.Context, f *fakeCluster, opts Options, desired ...Desired) *Report {
	t.Helper()
	done := make(chan *Report, 1)
	go func() { done <- NewEngine(f, f, opts).Check(ctx, desired) }()
	select {
	case rep := <-done:
		if len(rep.Results) != len(desired) {
			t.Fatalf("Check returned %d results for %d objects", len(rep.Results), len(desired))
		}
		return rep
	case <-time.After(30 * time.Second):
		t.Fatal("Check did not return")
		return nil
	}
}

// resultFrom returns the one result whose origin is from.
func resultFrom(t *testing.T, rep *Report, from string) *Result {
	t.Helper()
	var found *Result
	for i := range rep.Results {
		if rep.Results[i].Origin == origin(from) {
			if found != nil {
				t.Fatalf("two results from %s", from)
			}
			found = &rep.Results[i]
		}
	}
	if found == nil {
		t.Fatalf("no result from %s", from)
	}
	return found
}

const (
	shopNamespace = `{apiVersion: v1, kind: Namespace, metadata: {name: shop}}`
	webDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`
	settingsConfigMap = `{apiVersion: v1, kind: ConfigMap, metadata: {name: settings, namespace: shop}, data: {mode: fast}}`
)

// changedDiffLines returns the lines of a diff that add or remove a line.
func changedDiffLines(diff string) []string {
	var out []string
	for _, l := range strings.Split(diff, "\n") {
		if strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "+++ ") {
			continue
		}
		if strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+") {
			out = append(out, l)
		}
	}
	return out
}

// assertNoServerFields fails if obj still carries a field the engine strips.
func assertNoServerFields(t *testing.T, side string, obj *unstructured.Unstructured) {
	t.Helper()
	for _, path := range serverFields() {
		if _, found, _ := unstructured.NestedFieldNoCopy(obj.Object, path...); found {
			t.Errorf("%s still has %s", side, strings.Join(path, "."))
		}
	}
}

// assertAllAdded checks that diff creates ref's object from nothing.
func assertAllAdded(t *testing.T, diff string, ref Ref) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(diff, "\n"), "\n")
	if len(lines) < 4 {
		t.Fatalf("diff too short:\n%s", diff)
	}
	wantHead := []string{
		"--- live " + ref.String(),
		"+++ desired " + ref.String(),
		fmt.Sprintf("@@ -0,0 +1,%d @@", len(lines)-3),
	}
	if !slices.Equal(lines[:3], wantHead) {
		t.Errorf("diff header:\n%s\nwant:\n%s", strings.Join(lines[:3], "\n"), strings.Join(wantHead, "\n"))
	}
	for _, l := range lines[3:] {
		if !strings.HasPrefix(l, "+") {
			t.Errorf("line %q of a missing object's diff is not an addition", l)
		}
	}
}

func TestEngineVerdicts(t *testing.T) {
	tests := []struct {
		name     string
		live     []string // stored with server fields, see asLive
		manifest string
		want     Status
		check    func(t *testing.T, r *Result)
	}{
		{
			name:     "in sync",
			live:     []string{shopNamespace, webDeployment},
			manifest: webDeployment,
			want:     InSync,
			check: func(t *testing.T, r *Result) {
				if r.Live == nil || r.Want == nil {
					t.Fatalf("Live %v, Want %v: want both", r.Live, r.Want)
				}
				assertNoServerFields(t, "Live", r.Live)
				assertNoServerFields(t, "Want", r.Want)
				if d := r.Diff(); d != "" {
					t.Errorf("Diff of an object in sync:\n%s", d)
				}
			},
		},
		{
			name:     "drifted",
			live:     []string{shopNamespace, strings.Replace(webDeployment, "replicas: 3", "replicas: 5", 1)},
			manifest: webDeployment,
			want:     Drifted,
			check: func(t *testing.T, r *Result) {
				d := r.Diff()
				want := []string{"-  replicas: 5", "+  replicas: 3"}
				if got := changedDiffLines(d); !slices.Equal(got, want) {
					t.Errorf("changed lines %q, want %q in\n%s", got, want, d)
				}
				if !strings.HasPrefix(d, "--- live Deployment.apps shop/web\n+++ desired Deployment.apps shop/web\n@@ ") {
					t.Errorf("diff header:\n%s", d)
				}
				assertNoServerFields(t, "Live", r.Live)
				assertNoServerFields(t, "Want", r.Want)
			},
		},
		{
			name:     "missing",
			live:     []string{shopNamespace},
			manifest: settingsConfigMap,
			want:     Missing,
			check: func(t *testing.T, r *Result) {
				if r.Live != nil || r.Want == nil {
					t.Fatalf("Live %v, Want %v: want only Want", r.Live, r.Want)
				}
				assertNoServerFields(t, "Want", r.Want)
				assertAllAdded(t, r.Diff(), r.Ref)
			},
		},
		{
			name:     "missing, in a missing namespace",
			manifest: settingsConfigMap,
			want:     Missing,
			check: func(t *testing.T, r *Result) {
				if r.Live != nil {
					t.Errorf("Live = %v, want nil", r.Live)
				}
				if want := fromYAML(t, settingsConfigMap); !equality.Semantic.DeepEqual(r.Want, want) {
					t.Errorf("Want:\n%s\nwant the manifest:\n%s", toYAML(r.Want), toYAML(want))
				}
				assertAllAdded(t, r.Diff(), r.Ref)
			},
		},
		{
			name:     "missing namespace itself",
			manifest: shopNamespace,
			want:     Missing,
			check: func(t *testing.T, r *Result) {
				assertNoServerFields(t, "Want", r.Want)
				assertAllAdded(t, r.Diff(), r.Ref)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var live []*unstructured.Unstructured
			for _, y := range tt.live {
				live = append(live, asLive(t, y))
			}
			f := newFakeCluster(live...)
			rep := check(t, t.Context(), f, Options{}, desired(t, "app.yaml:1", tt.manifest))
			r := &rep.Results[0]
			if r.Status != tt.want {
				t.Fatalf("status %v (%v: %v), want %v", r.Status, r.Reason, r.Err, tt.want)
			}
			if r.Reason != "" || r.Err != nil {
				t.Errorf("Reason %q, Err %v on a judged object", r.Reason, r.Err)
			}
			if r.Origin != origin("app.yaml:1") || r.Mode != ModeServer {
				t.Errorf("Origin %v, Mode %q", r.Origin, r.Mode)
			}
			if want := RefOf(fromYAML(t, tt.manifest)); r.Ref != want {
				t.Errorf("Ref %v, want %v", r.Ref, want)
			}
			tt.check(t, r)
		})
	}
}

// connRefused is the error a client returns when nothing listens.
var connRefused = &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/api", Err: &net.OpError{
	Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED),
}}

func TestEngineErrors(t *testing.T) {
	deployments := schema.GroupResource{Group: "apps", Resource: "deployments"}
	deployment := schema.GroupKind{Group: "apps", Kind: "Deployment"}
	immutable := apierrors.NewInvalid(deployment, "web", field.ErrorList{
		field.Invalid(field.NewPath("spec", "selector"), map[string]any{"matchLabels": map[string]any{"app": "other"}}, "field is immutable"),
	})
	invalid := apierrors.NewInvalid(deployment, "web", field.ErrorList{
		field.Invalid(field.NewPath("spec", "replicas"), -1, "must be greater than or equal to 0"),
	})
	tests := []struct {
		name              string
		getErr, dryRunErr error
		want              Reason
		wantMsg           []string
	}{
		{
			name:    "Get forbidden",
			getErr:  apierrors.NewForbidden(deployments, "web", errors.New(`User "viewer" cannot get resource`)),
			want:    ReasonForbidden,
			wantMsg: []string{"read live object", "forbidden"},
		},
		{
			name:      "dry run forbidden",
			dryRunErr: apierrors.NewForbidden(deployments, "web", errors.New(`User "viewer" cannot patch resource`)),
			want:      ReasonForbidden,
			wantMsg:   []string{`"patch"`, "dry run", "forbidden"},
		},
		{
			name:      "immutable field",
			dryRunErr: immutable,
			want:      ReasonImmutable,
			wantMsg:   []string{"field is immutable"},
		},
		{
			name:      "invalid",
			dryRunErr: invalid,
			want:      ReasonInvalid,
			wantMsg:   []string{"must be greater than or equal to 0"},
		},
		{
			name:      "bad request",
			dryRunErr: apierrors.NewBadRequest("the object provided is unrecognized"),
			want:      ReasonInvalid,
		},
		{
			name:      "conflict",
			dryRunErr: apierrors.NewConflict(deployments, "web", errors.New(`conflict with "helm"`)),
			want:      ReasonConflict,
		},
		{
			name:    "Get connection refused",
			getErr:  connRefused,
			want:    ReasonUnreachable,
			wantMsg: []string{"connection refused"},
		},
		{
			name:      "dry run connection refused",
			dryRunErr: connRefused,
			want:      ReasonUnreachable,
		},
		{
			name:   "service unavailable",
			getErr: apierrors.NewServiceUnavailable("etcd is down"),
			want:   ReasonUnreachable,
		},
		{
			name:   "deadline",
			getErr: fmt.Errorf("get: %w", context.DeadlineExceeded),
			want:   ReasonUnreachable,
		},
		{
			name:      "dry run finds no object that Get found",
			dryRunErr: apierrors.NewNotFound(deployments, "web"),
			want:      ReasonUnknown,
		},
		{
			name:   "anything else",
			getErr: errors.New("something odd"),
			want:   ReasonUnknown,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCluster(asLive(t, shopNamespace), asLive(t, webDeployment), asLive(t, settingsConfigMap))
			if tt.getErr != nil {
				f.getErr["web"] = tt.getErr
				f.listErr = tt.getErr
			}
			if tt.dryRunErr != nil {
				f.dryRunErr["web"] = tt.dryRunErr
			}
			rep := check(t, t.Context(), f, Options{Mode: ModeServer},
				desired(t, "web.yaml:1", webDeployment),
				desired(t, "settings.yaml:1", settingsConfigMap))

			r := resultFrom(t, rep, "web.yaml:1")
			if r.Status != Error || r.Reason != tt.want {
				t.Fatalf("status %v, reason %q (%v), want error %q", r.Status, r.Reason, r.Err, tt.want)
			}
			cause := firstErr(tt.getErr, tt.dryRunErr)
			if !errors.Is(r.Err, cause) {
				t.Errorf("Err %v does not wrap %v", r.Err, cause)
			}
			for _, s := range tt.wantMsg {
				if !strings.Contains(r.Err.Error(), s) {
					t.Errorf("Err %q does not mention %q", r.Err, s)
				}
			}
			if r.Live != nil || r.Want != nil || r.Diff() != "" {
				t.Errorf("an error result carries objects: Live %v, Want %v", r.Live, r.Want)
			}
			if other := resultFrom(t, rep, "settings.yaml:1"); other.Status != InSync {
				t.Errorf("the other object: %v (%v), want in sync", other.Status, other.Err)
			}
			if !rep.HasErrors() {
				t.Error("HasErrors() = false")
			}
		})
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func TestEngineNoKind(t *testing.T) {
	f := newFakeCluster(asLive(t, shopNamespace), asLive(t, settingsConfigMap))
	rep := check(t, t.Context(), f, Options{},
		desired(t, "widget.yaml:1", `{apiVersion: example.com/v1, kind: Widget, metadata: {name: w, namespace: shop}}`),
		desired(t, "settings.yaml:1", settingsConfigMap))

	r := resultFrom(t, rep, "widget.yaml:1")
	if r.Status != Error || r.Reason != ReasonNoKind {
		t.Fatalf("status %v, reason %q (%v), want error NoKind", r.Status, r.Reason, r.Err)
	}
	if !meta.IsNoMatchError(r.Err) || !strings.Contains(r.Err.Error(), `"Widget"`) {
		t.Errorf("Err = %v, want the no-match error naming Widget", r.Err)
	}
	wantRef := Ref{Group: "example.com", Version: "v1", Kind: "Widget", Namespace: "shop", Name: "w"}
	if r.Ref != wantRef {
		t.Errorf("Ref = %v, want %v", r.Ref, wantRef)
	}
	if f.getsOf("w") != 0 {
		t.Error("the engine read an object of a kind the cluster does not serve")
	}
	if other := resultFrom(t, rep, "settings.yaml:1"); other.Status != InSync {
		t.Errorf("the other object: %v (%v), want in sync", other.Status, other.Err)
	}
}

func TestEngineDuplicates(t *testing.T) {
	f := newFakeCluster(asLive(t, shopNamespace), asLive(t, webDeployment), asLive(t, settingsConfigMap))
	otherVersion := strings.Replace(webDeployment, "apps/v1", "apps/v1beta2", 1)
	noNamespace := strings.Replace(settingsConfigMap, "namespace: shop", "labels: {a: b}", 1)
	otherNamespace := strings.Replace(settingsConfigMap, "namespace: shop", "namespace: tools", 1)
	rep := check(t, t.Context(), f, Options{DefaultNamespace: "shop"},
		desired(t, "a.yaml:1", webDeployment),
		desired(t, "b.yaml:7", settingsConfigMap),
		desired(t, "c.yaml:3", webDeployment),
		desired(t, "d.yaml:1", otherVersion),
		desired(t, "e.yaml:1", noNamespace),
		desired(t, "f.yaml:1", otherNamespace),
	)

	for _, first := range []string{"a.yaml:1", "b.yaml:7"} {
		if r := resultFrom(t, rep, first); r.Status == Error {
			t.Errorf("first declaration %s: %v", first, r.Err)
		}
	}
	if r := resultFrom(t, rep, "f.yaml:1"); r.Reason == ReasonDuplicate {
		t.Errorf("same name in another namespace called a duplicate: %v", r.Err)
	}
	tests := []struct {
		name  string
		dup   string
		first string
	}{
		{"same object again", "c.yaml:3", "a.yaml:1"},
		{"same object in another version", "d.yaml:1", "a.yaml:1"},
		{"same object through the default namespace", "e.yaml:1", "b.yaml:7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := resultFrom(t, rep, tt.dup)
			if r.Status != Error || r.Reason != ReasonDuplicate {
				t.Fatalf("status %v, reason %q, want error Duplicate", r.Status, r.Reason)
			}
			if r.Err == nil || !strings.Contains(r.Err.Error(), tt.first) {
				t.Errorf("Err = %v, want it to name %s", r.Err, tt.first)
			}
		})
	}
	if n := f.getsOf("web"); n != 0 {
		t.Errorf("web was read alone %d times, want none: its kind is listed", n)
	}
}

func TestEngineNamespaces(t *testing.T) {
	f := newFakeCluster(asLive(t, shopNamespace))
	rep := check(t, t.Context(), f, Options{DefaultNamespace: "shop"},
		desired(t, "cm.yaml:1", `{apiVersion: v1, kind: ConfigMap, metadata: {name: defaulted}}`),
		desired(t, "cm.yaml:2", `{apiVersion: v1, kind: ConfigMap, metadata: {name: explicit, namespace: tools}}`),
		desired(t, "role.yaml:1", `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: viewer, namespace: shop}}`),
		desired(t, "ns.yaml:1", `{apiVersion: v1, kind: Namespace, metadata: {name: shop}}`),
	)
	tests := []struct {
		origin    string
		name      string
		namespace string
	}{
		{"cm.yaml:1", "defaulted", "shop"},
		{"cm.yaml:2", "explicit", "tools"},
		{"role.yaml:1", "viewer", ""},
		{"ns.yaml:1", "shop", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := resultFrom(t, rep, tt.origin)
			if r.Ref.Namespace != tt.namespace {
				t.Errorf("Ref %v, want namespace %q", r.Ref, tt.namespace)
			}
			if got := f.dryRunOf(t, tt.name).GetNamespace(); got != tt.namespace {
				t.Errorf("dry run got namespace %q, want %q", got, tt.namespace)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			for _, g := range f.gets {
				if g.Name == tt.name && g.Namespace != tt.namespace {
					t.Errorf("Get in namespace %q, want %q", g.Namespace, tt.namespace)
				}
			}
		})
	}
}

// TestEngineStripsManifest checks that an exported object (kubectl get -o
// yaml) serves as a manifest: what only a server sets is not sent.
func TestEngineStripsManifest(t *testing.T) {
	f := newFakeCluster(asLive(t, shopNamespace), asLive(t, webDeployment))
	exported := asLive(t, webDeployment)
	check(t, t.Context(), f, Options{}, Desired{Object: exported, Origin: origin("export.yaml:1")})
	sent := f.dryRunOf(t, "web")
	assertNoServerFields(t, "the object sent to the dry run", sent)
	if want := fromYAML(t, webDeployment); !equality.Semantic.DeepEqual(sent, want) {
		t.Errorf("sent:\n%s\nwant:\n%s", toYAML(sent), toYAML(want))
	}
}

func TestEngineLeavesInputAlone(t *testing.T) {
	f := newFakeCluster(asLive(t, shopNamespace), asLive(t, webDeployment),
		asLive(t, `{apiVersion: v1, kind: Secret, metadata: {name: db, namespace: shop}, data: {password: `+valueA+`}}`))
	in := []Desired{
		{Object: asLive(t, strings.Replace(webDeployment, "replicas: 3", "replicas: 4", 1)), Origin: origin("1")},
		desired(t, "2", `{apiVersion: v1, kind: Secret, metadata: {name: db, namespace: shop}, data: {password: `+valueB+`}}`),
		desired(t, "3", `{apiVersion: v1, kind: ConfigMap, metadata: {name: nons}, data: {a: b}}`),
		desired(t, "4", `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r, namespace: shop}}`),
		desired(t, "5", `{apiVersion: v1, kind: ConfigMap, metadata: {name: gone, namespace: nowhere}}`),
		desired(t, "6", `{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}`),
	}
	before := make([]*unstructured.Unstructured, len(in))
	for i, d := range in {
		before[i] = d.Object.DeepCopy()
	}

	rep := check(t, t.Context(), f, Options{DefaultNamespace: "shop"}, in...)

	for i, d := range in {
		if !equality.Semantic.DeepEqual(d.Object, before[i]) {
			t.Errorf("desired object %d changed:\n%s\nwas:\n%s", i, toYAML(d.Object), toYAML(before[i]))
		}
	}
	// And the results do not share the input's maps.
	for i := range rep.Results {
		for _, obj := range []*unstructured.Unstructured{rep.Results[i].Live, rep.Results[i].Want} {
			if obj != nil {
				obj.SetLabels(map[string]string{"changed": "by the test"})
			}
		}
	}
	for i, d := range in {
		if !equality.Semantic.DeepEqual(d.Object, before[i]) {
			t.Errorf("changing the results changed desired object %d", i)
		}
	}
}

func TestEngineSortsResults(t *testing.T) {
	f := newFakeCluster(asLive(t, shopNamespace))
	rep := check(t, t.Context(), f, Options{DefaultNamespace: "shop"},
		desired(t, "1", `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}}`),
		desired(t, "2", `{apiVersion: v1, kind: ConfigMap, metadata: {name: b, namespace: tools}}`),
		desired(t, "3", `{apiVersion: example.com/v1, kind: Widget, metadata: {name: w, namespace: shop}}`),
		desired(t, "4", `{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}`),
		desired(t, "5", `{apiVersion: v1, kind: Namespace, metadata: {name: shop}}`),
		desired(t, "6", `{apiVersion: apps/v1, kind: Deployment, metadata: {name: api}}`),
		desired(t, "7", `{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: viewer}}`),
		desired(t, "8", `{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}`),
	)
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Ref.String()+" @"+r.Origin.String())
	}
	want := []string{
		"Namespace shop @5",
		"ClusterRole.rbac.authorization.k8s.io viewer @7",
		"ConfigMap shop/a @4",
		"ConfigMap shop/a @8", // a duplicate keeps its place after the first
		"Deployment.apps shop/api @6",
		"Deployment.apps shop/web @1",
		"Widget.example.com shop/w @3",
		"ConfigMap tools/b @2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("results in order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestEngineReport(t *testing.T) {
	f := newFakeCluster(asLive(t, shopNamespace), asLive(t, webDeployment), asLive(t, settingsConfigMap))
	f.getErr["broken"] = apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "broken", errors.New("no"))
	// Lists fail, as for a user who may get objects but not list them:
	// every object is read alone and only "broken" is an error.
	f.listErr = apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "", errors.New("no list"))
	rep := check(t, t.Context(), f, Options{},
		desired(t, "1", strings.Replace(webDeployment, "replicas: 3", "replicas: 2", 1)),
		desired(t, "2", settingsConfigMap),
		desired(t, "3", `{apiVersion: v1, kind: ConfigMap, metadata: {name: new, namespace: shop}}`),
		desired(t, "4", `{apiVersion: v1, kind: ConfigMap, metadata: {name: new2, namespace: shop}}`),
		desired(t, "5", `{apiVersion: v1, kind: ConfigMap, metadata: {name: broken, namespace: shop}}`),
	)
	for s, want := range map[Status]int{InSync: 1, Drifted: 1, Missing: 2, Error: 1} {
		if got := rep.Count(s); got != want {
			t.Errorf("Count(%v) = %d, want %d", s, got, want)
		}
	}
	if !rep.HasDrift() || !rep.HasErrors() {
		t.Errorf("HasDrift %v, HasErrors %v: want both", rep.HasDrift(), rep.HasErrors())
	}
}

func TestEngineWorkers(t *testing.T) {
	tests := []struct {
		workers, want int
	}{
		{0, 8},
		{-1, 8},
		{1, 1},
		{3, 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.workers), func(t *testing.T) {
			if got := NewEngine(nil, nil, Options{Workers: tt.workers}).opts.Workers; got != tt.want {
				t.Fatalf("Workers %d became %d, want %d", tt.workers, got, tt.want)
			}
			// One ConfigMap in each of 20 namespaces: 20 lists to bound.
			var (
				live []*unstructured.Unstructured
				in   []Desired
			)
			for i := range 20 {
				live = append(live, asLive(t, fmt.Sprintf(`{apiVersion: v1, kind: Namespace, metadata: {name: ns%d}}`, i)))
				y := fmt.Sprintf(`{apiVersion: v1, kind: ConfigMap, metadata: {name: cm, namespace: ns%d}}`, i)
				live = append(live, asLive(t, y))
				in = append(in, desired(t, fmt.Sprint(i), y))
			}
			f := newFakeCluster(live...)
			rep := check(t, t.Context(), f, Options{Workers: tt.workers}, in...)
			if rep.Count(InSync) != len(in) {
				t.Errorf("%d of %d in sync", rep.Count(InSync), len(in))
			}
			if f.maxInFlight > tt.want {
				t.Errorf("%d reads at once with %d workers", f.maxInFlight, tt.want)
			}
			// Lists of a few objects each leave room for each other.
			if tt.want > 1 && f.maxInFlight < 2 {
				t.Errorf("%d read at once with %d workers, want the lists of one object side by side", f.maxInFlight, tt.want)
			}
		})
	}
}

func TestEngineCancelled(t *testing.T) {
	manifests := func(t *testing.T) []Desired {
		var in []Desired
		for i := range 6 {
			in = append(in, desired(t, fmt.Sprint(i),
				fmt.Sprintf(`{apiVersion: v1, kind: ConfigMap, metadata: {name: cm%d, namespace: shop}}`, i)))
		}
		return in
	}
	assertCancelled := func(t *testing.T, rep *Report) {
		t.Helper()
		for _, r := range rep.Results {
			if r.Status != Error || !errors.Is(r.Err, context.Canceled) {
				t.Errorf("%v: status %v, err %v; want an error for the cancelled context", r.Ref, r.Status, r.Err)
			}
		}
	}

	t.Run("before the check", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		f := newFakeCluster(asLive(t, shopNamespace))
		f.block = true
		rep := check(t, ctx, f, Options{Workers: 2}, manifests(t)...)
		assertCancelled(t, rep)
	})

	t.Run("during the check", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		f := newFakeCluster(asLive(t, shopNamespace))
		f.block = true
		f.started = make(chan struct{}, 1)
		go func() {
			<-f.started
			cancel()
		}()
		rep := check(t, ctx, f, Options{Workers: 2}, manifests(t)...)
		assertCancelled(t, rep)
		if n := len(f.gets); n == 0 || n > 2 {
			t.Errorf("%d reads started, want 1 or 2: the rest come after the cancel", n)
		}
	})
}

func TestEngineSecrets(t *testing.T) {
	const secret = `{apiVersion: v1, kind: Secret, metadata: {name: db, namespace: shop,
		annotations: {` + appliedNote + `: '%s'}}, data: {password: %s, user: ` + valueA + `}}`
	live := asLive(t, fmt.Sprintf(secret, appliedA, valueA))
	manifest := fmt.Sprintf(secret, appliedA, valueB)
	newSecret := `{apiVersion: v1, kind: Secret, metadata: {name: fresh, namespace: shop}, stringData: {token: ` + plainA + `}}`
	sameSecret := fmt.Sprintf(secret, appliedA, valueA)

	tests := []struct {
		name        string
		show        bool
		manifest    string
		want        Status
		wantChanged []string // the diff's changed lines
		hidden      []string // must not appear in the diff
	}{
		{
			name:     "masked",
			manifest: manifest,
			want:     Drifted,
			wantChanged: []string{
				`-  password: '*** (12 bytes, before)'`,
				`+  password: '*** (12 bytes, after)'`,
			},
			hidden: []string{valueA, valueB, "secret-alpha", "secret-bravo"},
		},
		{
			name:     "shown",
			show:     true,
			manifest: manifest,
			want:     Drifted,
			wantChanged: []string{
				"-  password: " + valueA,
				"+  password: " + valueB,
			},
		},
		{
			name:     "masked in sync",
			manifest: sameSecret,
			want:     InSync,
			hidden:   []string{valueA},
		},
		{
			name:     "masked missing",
			manifest: newSecret,
			want:     Missing,
			wantChanged: []string{
				"+apiVersion: v1",
				"+kind: Secret",
				"+metadata:",
				"+  name: fresh",
				"+  namespace: shop",
				"+stringData:",
				`+  token: '***'`,
			},
			hidden: []string{plainA},
		},
		{
			name:     "shown missing",
			show:     true,
			manifest: newSecret,
			want:     Missing,
			wantChanged: []string{
				"+apiVersion: v1",
				"+kind: Secret",
				"+metadata:",
				"+  name: fresh",
				"+  namespace: shop",
				"+stringData:",
				"+  token: " + plainA,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The namespace is missing, so the missing Secret's Want is the
			// manifest itself: the plainest way for a value to slip through.
			f := newFakeCluster(live)
			rep := check(t, t.Context(), f, Options{ShowSecrets: tt.show}, desired(t, "secret.yaml:1", tt.manifest))
			r := &rep.Results[0]
			if r.Status != tt.want {
				t.Fatalf("status %v (%v), want %v", r.Status, r.Err, tt.want)
			}
			d := r.Diff()
			if got := changedDiffLines(d); !slices.Equal(got, tt.wantChanged) {
				t.Errorf("changed lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.wantChanged, "\n"))
			}
			shown := d + toYAML(r.Live) + toYAML(r.Want)
			for _, s := range tt.hidden {
				if strings.Contains(shown, s) {
					t.Errorf("%q shows through:\n%s", s, shown)
				}
			}
		})
	}
}

func TestEngineReadsByList(t *testing.T) {
	cm := func(name, ns string) string {
		return fmt.Sprintf(`{apiVersion: v1, kind: ConfigMap, metadata: {name: %s, namespace: %s}}`, name, ns)
	}
	other := `{apiVersion: v1, kind: Namespace, metadata: {name: other}}`
	f := newFakeCluster(asLive(t, shopNamespace), asLive(t, other), asLive(t, webDeployment),
		asLive(t, cm("a", "shop")), asLive(t, cm("b", "shop")), asLive(t, cm("c", "other")))
	rep := check(t, t.Context(), f, Options{},
		desired(t, "1", cm("a", "shop")), desired(t, "2", cm("b", "shop")), desired(t, "3", cm("gone", "shop")),
		desired(t, "4", cm("c", "other")), desired(t, "5", webDeployment), desired(t, "6", shopNamespace))

	if rep.Count(InSync) != 5 || rep.Count(Missing) != 1 {
		t.Errorf("%d in sync, %d missing; want 5 and 1", rep.Count(InSync), rep.Count(Missing))
	}
	var lists []string
	for _, r := range f.gets {
		if r.Name != "" {
			t.Errorf("%v was read alone; every read should be a list", r)
		}
		lists = append(lists, r.Kind+" "+r.Namespace)
	}
	slices.Sort(lists)
	want := []string{"ConfigMap other", "ConfigMap shop", "Deployment shop", "Namespace "}
	if !slices.Equal(lists, want) {
		t.Errorf("lists %q, want one per kind and namespace: %q", lists, want)
	}
}

func TestEngineReadsAloneWhenListFails(t *testing.T) {
	// A user may be allowed to get objects but not to list them.
	f := newFakeCluster(asLive(t, shopNamespace), asLive(t, settingsConfigMap))
	f.listErr = apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "", errors.New("cannot list"))
	rep := check(t, t.Context(), f, Options{},
		desired(t, "1", settingsConfigMap),
		desired(t, "2", `{apiVersion: v1, kind: ConfigMap, metadata: {name: new, namespace: shop}}`))
	if rep.Count(InSync) != 1 || rep.Count(Missing) != 1 {
		t.Errorf("%d in sync, %d missing; want 1 and 1", rep.Count(InSync), rep.Count(Missing))
	}
	if f.getsOf("settings") != 1 || f.getsOf("new") != 1 {
		t.Errorf("gets: %v; want one for each object", f.gets)
	}
}

func TestEngineJudgesAgainWhenTheObjectChanged(t *testing.T) {
	// The list read the object before a write that made it match; the dry
	// run answers from the newer version, which is then read and judged.
	current := asLive(t, settingsConfigMap)
	current.SetResourceVersion("2")
	old := current.DeepCopy()
	old.SetResourceVersion("1")
	old.Object["data"] = map[string]any{"log-level": "debug"}
	f := newFakeCluster(asLive(t, shopNamespace), current)
	f.stale = map[string]*unstructured.Unstructured{"settings": old}

	rep := check(t, t.Context(), f, Options{}, desired(t, "1", settingsConfigMap))
	if r := rep.Results[0]; r.Status != InSync {
		t.Errorf("%v %v, want in sync: judged against the version the dry run saw", r.Status, r.Changes)
	}
	if f.getsOf("settings") != 1 {
		t.Errorf("gets: %v; want the changed object read once more", f.gets)
	}
}

func TestEngineKindsFromDesiredCRDs(t *testing.T) {
	crd := func(kind, scope string) string {
		return fmt.Sprintf(`{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition,
			metadata: {name: x}, spec: {group: example.com, scope: %s, names: {kind: %s}}}`, scope, kind)
	}
	f := newFakeCluster(asLive(t, shopNamespace))
	f.scope[schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}] = false
	rep := check(t, t.Context(), f, Options{DefaultNamespace: "shop"},
		desired(t, "crd1", crd("Widget", "Namespaced")),
		desired(t, "crd2", strings.Replace(crd("Cluster", "Cluster"), "name: x", "name: y", 1)),
		desired(t, "w", `{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}`),
		desired(t, "c", `{apiVersion: example.com/v1, kind: Cluster, metadata: {name: c, namespace: ignored}}`),
		desired(t, "u", `{apiVersion: example.com/v1, kind: Unknown, metadata: {name: u}}`),
	)
	for _, tt := range []struct {
		from   string
		status Status
		ref    string
	}{
		{"w", Missing, "Widget.example.com shop/w"},
		{"c", Missing, "Cluster.example.com c"},
		{"u", Error, "Unknown.example.com u"},
	} {
		r := resultFrom(t, rep, tt.from)
		if r.Status != tt.status || r.Ref.String() != tt.ref {
			t.Errorf("%s: %v %v, want %v %s", tt.from, r.Status, r.Ref, tt.status, tt.ref)
		}
		if tt.status == Missing && (r.Note != "after its CustomResourceDefinition is created" || r.Want == nil) {
			t.Errorf("%s: note %q, want %v; want the manifest as Want", tt.from, r.Note, r.Want)
		}
	}
}

// An object that looks like the desired state's but that a controller owns
// (a Deployment's ReplicaSet, which carries its annotations) is not
// unmanaged.
func TestEngineUnmanagedSkipsControlledObjects(t *testing.T) {
	cm := func(name, extra string) string {
		return fmt.Sprintf(`{apiVersion: v1, kind: ConfigMap, metadata: {name: %s, namespace: shop, labels: {app: shop}%s}}`, name, extra)
	}
	f := newFakeCluster(asLive(t, shopNamespace), asLive(t, cm("a", "")), asLive(t, cm("left", "")),
		asLive(t, cm("made", `, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: "1", controller: true}]`)))
	owned := func(live *unstructured.Unstructured) bool { return live.GetLabels()["app"] == "shop" }
	rep := NewEngine(f, f, Options{Owned: owned}).Check(t.Context(), []Desired{desired(t, "1", cm("a", ""))})
	var unmanaged []string
	for _, r := range rep.Results {
		if r.Status == Unmanaged {
			unmanaged = append(unmanaged, r.Ref.Name)
		}
	}
	if !slices.Equal(unmanaged, []string{"left"}) {
		t.Errorf("unmanaged %v, want only left", unmanaged)
	}
}

// A lean check keeps the objects of what drifts only; Progress still sees
// every verdict whole.
func TestLeanCheckDropsInSyncObjects(t *testing.T) {
	f := newFakeCluster(asLive(t, shopNamespace), asLive(t, strings.Replace(webDeployment, "replicas: 3", "replicas: 4", 1)), asLive(t, settingsConfigMap))
	var mu sync.Mutex
	seen := map[string]bool{}
	how := CheckOptions{Lean: true, Progress: func(r Result, _, _ int) {
		mu.Lock()
		defer mu.Unlock()
		seen[r.Ref.Name] = r.Live != nil && r.Want != nil
	}}
	rep := NewEngine(f, f, Options{Mode: ModeServer}).CheckWith(t.Context(), []Desired{desired(t, "web.yaml:1", webDeployment), desired(t, "settings.yaml:1", settingsConfigMap)}, how)
	web, settings := resultFrom(t, rep, "web.yaml:1"), resultFrom(t, rep, "settings.yaml:1")
	if web.Status != Drifted || web.Live == nil || web.Want == nil || web.Diff() == "" {
		t.Errorf("the drifted Deployment: %v, Live %v, Want %v; want its objects and diff kept", web.Status, web.Live != nil, web.Want != nil)
	}
	if settings.Status != InSync || settings.Live != nil || settings.Want != nil {
		t.Errorf("the ConfigMap in sync: %v, Live %v, Want %v; want its objects dropped", settings.Status, settings.Live != nil, settings.Want != nil)
	}
	if !seen["web"] || !seen["settings"] {
		t.Errorf("Progress saw whole objects: %v, want both", seen)
	}
}
