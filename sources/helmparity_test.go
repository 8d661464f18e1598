package sources_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	fakedynamic "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/kubedrift/kubedrift/internal/testcluster"
	"github.com/kubedrift/kubedrift/sources"
)

// guardChart holds the template patterns of popular charts that once gave
// false drift: documents cut after a "---" line by a trimming {{- if -}},
// block scalars ended by a trimming {{- end -}}, a password kept by lookup
// and a checksum of it, a field rendered only on install, a TTL Job, a hook
// deleted when it succeeds, an autoscaled Deployment, a DaemonSet and a
// rollout annotation made up at random on every render.
const guardChart = "testdata/charts/guard"

// helmTemplate runs the real `helm template` (bin/helm, built by make
// tools) and parses what it prints as any YAML reader would, apart from
// kubedrift's own splitting, leaving out the objects without a name.
func helmTemplate(t *testing.T, args ...string) []*unstructured.Unstructured {
	t.Helper()
	bin, err := testcluster.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "helm"), append([]string{"template"}, args...)...)
	cmd.Env = []string{"HELM_CACHE_HOME=" + t.TempDir(), "HELM_CONFIG_HOME=" + t.TempDir(), "HELM_DATA_HOME=" + t.TempDir()}
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("helm template %s: %v\n%s", strings.Join(args, " "), err, exit.Stderr)
		}
		t.Fatalf("helm template (run `make tools` to build bin/helm): %v", err)
	}
	var objs []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(out)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := utilyaml.Unmarshal(doc, &obj); err != nil {
			t.Fatalf("helm template printed a document that does not parse: %v\n%s", err, doc)
		}
		// What Helm creates under a name the server makes up (a test
		// hook's generateName) is not expected by name.
		if u := (&unstructured.Unstructured{Object: obj}); obj != nil && u.GetName() != "" {
			objs = append(objs, u)
		}
	}
}

// randomFields are the fields of the guard chart that it makes up anew on
// every render, left out where two renders are compared.
var randomFields = [][]string{
	{"data", "password"},
	{"spec", "template", "metadata", "annotations", "rollme"},
	{"spec", "template", "metadata", "annotations", "checksum/secret"},
}

func withoutRandomFields(obj *unstructured.Unstructured) map[string]any {
	c := obj.DeepCopy()
	for _, f := range randomFields {
		unstructured.RemoveNestedField(c.Object, f...)
	}
	return c.Object
}

func objectID(obj *unstructured.Unstructured) string {
	return obj.GetKind() + " " + obj.GetName()
}

// TestRenderChartAsHelmDoes renders charts in process and with the real
// `helm template`, and asks for the same objects, field for field, in the
// same order: document splitting and joining, trailing newlines of block
// scalars, hooks and the install order by kind all as Helm has them.
func TestRenderChartAsHelmDoes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		chart sources.Chart
		args  []string
	}{
		{"guard", sources.Chart{Path: guardChart, ReleaseName: "guard", IncludeHooks: true}, []string{"guard", guardChart}},
		{"shop", sources.Chart{Path: shopChart, ReleaseName: "shop", IncludeHooks: true, ValuesFiles: []string{shopProdValues}},
			[]string{"shop", shopChart, "-f", shopProdValues, "--include-crds"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := helmTemplate(t, append(tc.args, "-n", "parity")...)
			got, errs := sources.RenderChart(context.Background(), tc.chart, "parity", nil)
			for _, err := range errs {
				t.Errorf("render: %v", err)
			}
			var gotObjs []*unstructured.Unstructured
			for _, m := range got {
				gotObjs = append(gotObjs, m.Object)
			}
			var gotIDs, wantIDs []string
			for _, obj := range gotObjs {
				gotIDs = append(gotIDs, objectID(obj))
			}
			for _, obj := range want {
				wantIDs = append(wantIDs, objectID(obj))
			}
			if !slices.Equal(slices.Sorted(slices.Values(gotIDs)), slices.Sorted(slices.Values(wantIDs))) {
				t.Fatalf("objects:\n got %q\nwant %q", gotIDs, wantIDs)
			}
			byID := map[string]*unstructured.Unstructured{}
			for _, obj := range want {
				byID[objectID(obj)] = obj
			}
			for _, obj := range gotObjs {
				if g, w := withoutRandomFields(obj), withoutRandomFields(byID[objectID(obj)]); !reflect.DeepEqual(g, w) {
					gy, _ := yaml.Marshal(g)
					wy, _ := yaml.Marshal(w)
					t.Errorf("%s differs from helm template's:\n--- kubedrift\n%s--- helm\n%s", objectID(obj), gy, wy)
				}
			}
			// Helm installs by kind; hooks come apart from the release
			// and are left out of the order.
			if g, w := releaseOrder(gotObjs), releaseOrder(want); !slices.Equal(g, w) {
				t.Errorf("install order:\n got %q\nwant %q", g, w)
			}
		})
	}
}

// releaseOrder lists the objects of objs that Helm installs as the release,
// in their order: neither hooks nor the CRDs of crds/, which come apart.
func releaseOrder(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, obj := range objs {
		if _, hook := obj.GetAnnotations()["helm.sh/hook"]; !hook && obj.GetKind() != "CustomResourceDefinition" {
			out = append(out, objectID(obj))
		}
	}
	return out
}

// TestRenderChartLookupForbidden renders the guard chart, whose lookup of
// its Secret keeps the password it generated, for a user who may not read
// Secrets: the lookup finds nothing, as in helm template, the chart still
// renders, and a warning says once what could not be looked up.
func TestRenderChartLookupForbidden(t *testing.T) {
	c := helmCluster("v1.37.2")
	dyn := fakedynamic.NewSimpleDynamicClient(runtime.NewScheme())
	gets := 0
	dyn.PrependReactor("get", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		gets++
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "guard-db", errors.New("RBAC: access denied"))
	})
	c.Dynamic = dyn
	manifests, errs := sources.RenderChart(context.Background(), sources.Chart{Path: guardChart, ReleaseName: "guard"}, "shop", c)
	problems, warnings := sources.Warnings(errs)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if gets == 0 {
		t.Fatal("the chart's lookup never reached the cluster")
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0].Error(), "lookup of Secret shop/guard-db is forbidden to you") {
		t.Errorf("warnings: %v, want one that names the lookup of Secret shop/guard-db", warnings)
	}
	if findObject(t, manifests, "Secret", "guard-db") == nil {
		t.Error("no Secret rendered")
	}
}

// TestRenderChartGenerated renders the guard chart, which makes up a
// password and a rollout annotation at random and takes a checksum of the
// Secret, and asks for exactly those fields to be known as random.
func TestRenderChartGenerated(t *testing.T) {
	manifests := renderOK(t, sources.Chart{Path: guardChart, ReleaseName: "guard"}, "shop", nil)
	got := map[string][]sources.Volatile{}
	for _, m := range manifests {
		if len(m.Volatile) > 0 {
			got[objectID(m.Object)] = m.Volatile
		}
	}
	want := map[string][]sources.Volatile{
		"Secret guard-db":         {{Pointer: "/data/password", Why: sources.Random}},
		"Deployment guard-api":    {{Pointer: "/spec/template/metadata/annotations/checksum~1secret", Why: sources.Random}},
		"Deployment guard-worker": {{Pointer: "/spec/template/metadata/annotations/rollme", Why: sources.Random}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("volatile fields:\n got %v\nwant %v", got, want)
	}
}
