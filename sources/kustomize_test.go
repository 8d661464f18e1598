package sources_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/resource"

	"github.com/kubedrift/kubedrift/sources"
)

const (
	kustomizeBase    = "testdata/kustomize/base"
	kustomizeOverlay = "testdata/kustomize/overlays/prod"
)

// generatedName is the name a configMapGenerator gives: the name asked for
// and a hash of the data.
var generatedName = regexp.MustCompile(`^(prod-)?web-settings-[a-z0-9]{10}$`)

// build runs Kustomize on dir and fails the test on any error.
func build(t *testing.T, dir string) []sources.Manifest {
	t.Helper()
	manifests, errs := sources.Kustomize(dir)
	if len(errs) > 0 {
		t.Fatalf("Kustomize(%s) errors: %v", dir, errs)
	}
	return manifests
}

// byKind returns the one manifest of kind.
func byKind(t *testing.T, manifests []sources.Manifest, kind string) sources.Manifest {
	t.Helper()
	var found []sources.Manifest
	for _, m := range manifests {
		if m.Object.GetKind() == kind {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of kind %s, want 1", len(found), kind)
	}
	return found[0]
}

// field reads a field of obj, failing the test when it is not there.
func field(t *testing.T, obj *unstructured.Unstructured, path ...string) any {
	t.Helper()
	v, found, err := unstructured.NestedFieldNoCopy(obj.Object, path...)
	if err != nil || !found {
		t.Fatalf("%s %s: no field %s (%v)", obj.GetKind(), obj.GetName(), strings.Join(path, "."), err)
	}
	return v
}

// summary lists the manifests as "origin kind/name", in order.
func summary(manifests []sources.Manifest) []string {
	var out []string
	for _, m := range manifests {
		out = append(out, m.Origin.String()+" "+m.Object.GetKind()+"/"+m.Object.GetName())
	}
	return out
}

// hashesOut replaces the hash suffix of generated names with "HASH".
func hashesOut(lines []string) []string {
	re := regexp.MustCompile(`web-settings-[a-z0-9]{10}\b`)
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = re.ReplaceAllString(l, "web-settings-HASH")
	}
	return out
}

func TestKustomizeBase(t *testing.T) {
	manifests := build(t, kustomizeBase)
	// kubectl's order: ConfigMaps before the Services and Deployments that
	// use them. Origins are the files, named from the directory as given;
	// a generated object's is the kustomization that generates it.
	assertStrings(t, "objects", hashesOut(summary(manifests)), []string{
		"kustomization testdata/kustomize/base: testdata/kustomize/base/kustomization.yaml ConfigMap/web-settings-HASH",
		"kustomization testdata/kustomize/base: testdata/kustomize/base/service.yaml Service/web",
		"kustomization testdata/kustomize/base: testdata/kustomize/base/deployment.yaml Deployment/web",
	})

	cm := byKind(t, manifests, "ConfigMap").Object
	if !generatedName.MatchString(cm.GetName()) || strings.HasPrefix(cm.GetName(), "prod-") {
		t.Errorf("generated ConfigMap is named %q, want web-settings- and a hash", cm.GetName())
	}
	deploy := byKind(t, manifests, "Deployment").Object
	envFrom := field(t, deploy, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)["envFrom"].([]any)
	if got := envFrom[0].(map[string]any)["configMapRef"].(map[string]any)["name"]; got != cm.GetName() {
		t.Errorf("Deployment refers to ConfigMap %v, want the generated %s", got, cm.GetName())
	}
	// Numbers are int64, as they are from manifest files.
	if got := field(t, deploy, "spec", "replicas"); got != int64(1) {
		t.Errorf("replicas = %#v, want int64(1)", got)
	}
}

func TestKustomizeOverlay(t *testing.T) {
	manifests := build(t, kustomizeOverlay)
	assertStrings(t, "objects", hashesOut(summary(manifests)), []string{
		"kustomization testdata/kustomize/overlays/prod: testdata/kustomize/base/kustomization.yaml ConfigMap/prod-web-settings-HASH",
		"kustomization testdata/kustomize/overlays/prod: testdata/kustomize/base/service.yaml Service/prod-web",
		"kustomization testdata/kustomize/overlays/prod: testdata/kustomize/base/deployment.yaml Deployment/prod-web",
	})

	cm := byKind(t, manifests, "ConfigMap").Object
	if !generatedName.MatchString(cm.GetName()) || !strings.HasPrefix(cm.GetName(), "prod-") {
		t.Errorf("generated ConfigMap is named %q, want prod-web-settings- and a hash", cm.GetName())
	}
	base := byKind(t, build(t, kustomizeBase), "ConfigMap").Object
	if strings.TrimPrefix(cm.GetName(), "prod-") == base.GetName() {
		t.Errorf("overlay's ConfigMap %s has the base's hash, though its data was merged", cm.GetName())
	}
	if got, want := field(t, cm, "data"), map[string]any{"LOG_LEVEL": "debug", "WORKERS": "4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigMap data = %v, want %v", got, want)
	}

	deploy := byKind(t, manifests, "Deployment").Object
	// The strategic merge patch.
	if got := field(t, deploy, "spec", "replicas"); got != int64(3) {
		t.Errorf("replicas = %#v, want int64(3) from the overlay's patch", got)
	}
	envFrom := field(t, deploy, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)["envFrom"].([]any)
	if got := envFrom[0].(map[string]any)["configMapRef"].(map[string]any)["name"]; got != cm.GetName() {
		t.Errorf("Deployment refers to ConfigMap %v, want the generated %s", got, cm.GetName())
	}
	if got := field(t, deploy, "spec", "selector", "matchLabels"); !reflect.DeepEqual(got, map[string]any{"app": "web", "env": "prod"}) {
		t.Errorf("selector = %v, want the overlay's label in it", got)
	}

	// The JSON patch.
	svc := byKind(t, manifests, "Service").Object
	if got := field(t, svc, "spec", "ports").([]any)[0].(map[string]any)["port"]; got != int64(8080) {
		t.Errorf("Service port = %#v, want int64(8080) from the overlay's JSON patch", got)
	}

	for _, m := range manifests {
		if got := m.Object.GetLabels()["env"]; got != "prod" {
			t.Errorf("%s %s has label env=%q, want prod", m.Object.GetKind(), m.Object.GetName(), got)
		}
		// The origin annotations that told the files are not desired state.
		if a := m.Object.GetAnnotations(); a != nil {
			t.Errorf("%s %s has annotations %v, want none", m.Object.GetKind(), m.Object.GetName(), a)
		}
		if m.Origin.Line != 0 {
			t.Errorf("%s %s: line %d, want 0: kustomize does not say", m.Object.GetKind(), m.Object.GetName(), m.Origin.Line)
		}
	}
}

func TestKustomizeRelativeDirectory(t *testing.T) {
	t.Chdir(kustomizeOverlay)
	assertStrings(t, "objects", hashesOut(summary(build(t, "."))), []string{
		"kustomization .: ../../base/kustomization.yaml ConfigMap/prod-web-settings-HASH",
		"kustomization .: ../../base/service.yaml Service/prod-web",
		"kustomization .: ../../base/deployment.yaml Deployment/prod-web",
	})
}

// kubectlBuild builds dir the way `kubectl apply -k dir` reads it: with
// k8s.io/cli-runtime's resource builder, locally.
func kubectlBuild(t *testing.T, dir string) ([]*unstructured.Unstructured, error) {
	t.Helper()
	infos, err := resource.NewLocalBuilder().
		Unstructured().
		FilenameParam(false, &resource.FilenameOptions{Kustomize: dir}).
		Flatten().
		Do().
		Infos()
	var objs []*unstructured.Unstructured
	for _, info := range infos {
		objs = append(objs, info.Object.(*unstructured.Unstructured))
	}
	return objs, err
}

func TestKustomizeMatchesKubectl(t *testing.T) {
	// configMap is a ConfigMap with the annotations lines given.
	configMap := func(name, annotations string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n" + annotations + "data: {a: \"1\"}\n"
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		// origins are the files the objects are said to come from;
		// empty when Kustomize must not know them.
		origins []string
	}{{
		name: "patch replaces all annotations",
		// The origin annotation is among those replaced. The object is
		// still kubectl's; the file kustomize then names is that of the
		// kustomization whose transformers ran on it.
		files: map[string]string{
			"kustomization.yaml": "resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - {op: add, path: /metadata/annotations, value: {team: shop}}\n",
			"cm.yaml":            configMap("a", ""),
		},
		origins: []string{"kustomization.yaml"},
	}, {
		name: "patch adds one annotation",
		// During a build every object has annotations, kustomize's own:
		// the patch works for kubectl, and with origins recorded.
		files: map[string]string{
			"kustomization.yaml": "resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - {op: add, path: /metadata/annotations/team, value: shop}\n",
			"cm.yaml":            configMap("a", ""),
		},
		origins: []string{"cm.yaml"},
	}, {
		name: "patch copies the annotations elsewhere",
		// The origin annotation would be copied into data: Kustomize gives
		// up on origins rather than on being kubectl's build.
		files: map[string]string{
			"kustomization.yaml": "resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - {op: copy, from: /metadata/annotations, path: /data}\n",
			"cm.yaml":            configMap("a", "  annotations: {team: shop}\n"),
		},
		origins: []string{""},
	}, {
		name: "kustomization asks for origins itself",
		// kubectl applies the annotation then, so it is desired state.
		files: map[string]string{
			"kustomization.yaml": "resources: [cm.yaml]\nbuildMetadata: [originAnnotations]\n",
			"cm.yaml":            configMap("a", ""),
		},
		origins: []string{"cm.yaml"},
	}, {
		name: "other build metadata",
		files: map[string]string{
			"kustomization.yaml": "resources: [cm.yaml]\nbuildMetadata: [managedByLabel]\n",
			"cm.yaml":            configMap("a", ""),
		},
		origins: []string{"cm.yaml"},
	}, {
		name: "sort options",
		files: map[string]string{
			"kustomization.yaml": "resources: [b.yaml, a.yaml]\nsortOptions: {order: fifo}\n",
			"a.yaml":             configMap("a", ""),
			"b.yaml":             "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
		},
		origins: []string{"b.yaml", "a.yaml"},
	}, {
		name: "legacy order",
		files: map[string]string{
			"kustomization.yaml": "resources: [a.yaml, b.yaml]\n",
			"a.yaml":             configMap("a", ""),
			"b.yaml":             "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
		},
		origins: []string{"b.yaml", "a.yaml"},
	}, {
		name: "kustomization.yml",
		files: map[string]string{
			"kustomization.yml": "resources: [a.yaml]\nnamespace: shop\n",
			"a.yaml":            configMap("a", ""),
		},
		origins: []string{"a.yaml"},
	}, {
		name: "kustomization in JSON",
		files: map[string]string{
			"Kustomization": `{"resources": ["a.yaml"], "commonAnnotations": {"x": "y"}}`,
			"a.yaml":        configMap("a", ""),
		},
		origins: []string{"a.yaml"},
	}, {
		name: "secret generator",
		files: map[string]string{
			"kustomization.yaml": "secretGenerator:\n- name: db\n  literals: [password=hunter2]\n",
		},
		origins: []string{"kustomization.yaml"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			want, err := kubectlBuild(t, dir)
			if err != nil {
				t.Fatalf("kubectl's build: %v", err)
			}
			manifests := build(t, dir)
			var got []*unstructured.Unstructured
			var origins []string
			for _, m := range manifests {
				got = append(got, m.Object)
				file := m.Origin.File
				if file != "" {
					rel, err := filepath.Rel(dir, file)
					if err != nil {
						t.Fatal(err)
					}
					file = rel
				}
				origins = append(origins, file)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("objects differ from kubectl's\n got %v\nwant %v", got, want)
			}
			assertStrings(t, "origin files", origins, tc.origins)
		})
	}
}

func TestKustomizeTestdataMatchesKubectl(t *testing.T) {
	for _, dir := range []string{kustomizeBase, kustomizeOverlay} {
		want, err := kubectlBuild(t, dir)
		if err != nil {
			t.Fatalf("kubectl's build of %s: %v", dir, err)
		}
		var got []*unstructured.Unstructured
		for _, m := range build(t, dir) {
			got = append(got, m.Object)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: objects differ from kubectl's\n got %v\nwant %v", dir, got, want)
		}
	}
}

func TestKustomizeErrors(t *testing.T) {
	// Kustomize follows symbolic links before it names a path.
	abs, err := filepath.Abs("testdata/kustomize")
	if err != nil {
		t.Fatal(err)
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir  string
		want string
		is   error
	}{
		{"broken/missing-resource", "accumulating resources from 'gone.yaml': ABS/broken/missing-resource/gone.yaml: no such file or directory", fs.ErrNotExist},
		{"broken/bad-patch", `no resource matches strategic merge patch "Deployment.v1.apps/no-such-deployment.[noNs]"`, nil},
		{"broken/malformed-yaml", `accumulating resources from 'configmap.yaml': MalformedYAMLError: yaml: line 4: did not find expected ',' or '}' in File: configmap.yaml`, nil},
		{"broken/outside-root", "accumulating resources from '../../base/service.yaml': security; file 'ABS/base/service.yaml' is not in or below 'ABS/broken/outside-root'", nil},
		{"broken/no-kustomization", "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory 'ABS/broken/no-kustomization'", nil},
		{"no-such-directory", "no such file or directory", fs.ErrNotExist},
		{"base/service.yaml", "not a directory: -k takes the directory that holds a kustomization.yaml", nil},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			dir := "testdata/kustomize/" + tc.dir
			manifests, errs := sources.Kustomize(dir)
			if len(manifests) != 0 {
				t.Errorf("%d objects from a kustomization that does not build", len(manifests))
			}
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want one", errs)
			}
			var serr *sources.Error
			if !errors.As(errs[0], &serr) || serr.Origin != (sources.Origin{Source: sources.Source{Kind: sources.SourceKustomization, Name: dir}}) {
				t.Errorf("error %#v does not have the kustomization as its origin", errs[0])
			}
			got := strings.ReplaceAll(errs[0].Error(), abs, "ABS")
			if want := "kustomization " + dir + ": " + tc.want; got != want {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
			if tc.is != nil && !errors.Is(errs[0], tc.is) {
				t.Errorf("error %v is not %v", errs[0], tc.is)
			}
		})
	}
}

func TestKustomizeLoadRestrictions(t *testing.T) {
	// As with kubectl apply -k, a kustomization reads files only from its
	// own directory and below. Another kustomization's directory is a base
	// it may use; a file outside is refused, however it is reached.
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"shared/cm.yaml":                   cm("shared"),
		"shared/kustomization.yaml":        "resources: [cm.yaml]\n",
		"app/by-path/kustomization.yaml":   "resources: [../../shared/cm.yaml]\n",
		"app/by-link/kustomization.yaml":   "resources: [cm.yaml]\n",
		"app/by-base/kustomization.yaml":   "resources: [../../shared]\n",
		"app/patch-out/kustomization.yaml": "resources: [../../shared]\npatches: [{path: ../../shared/cm.yaml}]\n",
	})
	if err := os.Symlink(filepath.Join(dir, "shared", "cm.yaml"), filepath.Join(dir, "app", "by-link", "cm.yaml")); err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}

	for _, name := range []string{"by-path", "by-link", "patch-out"} {
		manifests, errs := sources.Kustomize(filepath.Join(dir, "app", name))
		if len(manifests) != 0 || len(errs) != 1 {
			t.Errorf("%s: %d objects and errors %v, want the build refused", name, len(manifests), errs)
			continue
		}
		want := "' is not in or below '" + filepath.Join(real, "app", name) + "'"
		if !strings.Contains(errs[0].Error(), "security; file '") || !strings.Contains(errs[0].Error(), want) {
			t.Errorf("%s: error %q does not say %q", name, errs[0], want)
		}
	}

	manifests := build(t, filepath.Join(dir, "app", "by-base"))
	assertStrings(t, "objects through a base", summary(manifests), []string{
		"kustomization " + filepath.Join(dir, "app", "by-base") + ": " + filepath.Join(dir, "shared", "cm.yaml") + " ConfigMap/shared",
	})
}

func TestLoadKustomizations(t *testing.T) {
	// A kustomization that does not build is one error; the other
	// kustomizations and the files are read all the same.
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"extra.yaml": cm("extra")})
	manifests, errs := sources.Load(context.Background(), sources.Options{
		Files:          []string{filepath.Join(dir, "extra.yaml")},
		Kustomizations: []string{"testdata/kustomize/broken/missing-resource", kustomizeOverlay},
	})
	var got []string
	for _, m := range manifests {
		got = append(got, strings.TrimPrefix(m.Origin.String(), dir+"/")+" "+m.Object.GetName())
	}
	assertStrings(t, "objects", hashesOut(got), []string{
		"extra.yaml:1 extra",
		"kustomization testdata/kustomize/overlays/prod: testdata/kustomize/base/kustomization.yaml prod-web-settings-HASH",
		"kustomization testdata/kustomize/overlays/prod: testdata/kustomize/base/service.yaml prod-web",
		"kustomization testdata/kustomize/overlays/prod: testdata/kustomize/base/deployment.yaml prod-web",
	})
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "kustomization testdata/kustomize/broken/missing-resource: ") {
		t.Errorf("errors = %v, want one, for the broken kustomization", errs)
	}
}
