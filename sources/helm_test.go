package sources_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartloader "helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubedrift/kubedrift/sources"
)

const (
	shopChart      = "testdata/charts/shop"
	shopProdValues = "testdata/charts/shop/values-prod.yaml"
)

// helmCluster is a cluster of the given version serving the core kinds, and
// also the kinds of extra, for charts to see as their .Capabilities.
func helmCluster(gitVersion string, extra ...*metav1.APIResourceList) *sources.Cluster {
	cs := fake.NewClientset()
	d := cs.Discovery().(*fakediscovery.FakeDiscovery)
	major, minor, _ := strings.Cut(strings.TrimPrefix(gitVersion, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	d.FakedServerVersion = &version.Info{GitVersion: gitVersion, Major: major, Minor: minor}
	d.Resources = append([]*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{
			{Name: "configmaps", Kind: "ConfigMap", Namespaced: true},
			{Name: "services", Kind: "Service", Namespaced: true},
			{Name: "secrets", Kind: "Secret", Namespaced: true},
		}},
		{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{
			{Name: "deployments", Kind: "Deployment", Namespaced: true},
		}},
		{GroupVersion: "networking.k8s.io/v1", APIResources: []metav1.APIResource{
			{Name: "ingresses", Kind: "Ingress", Namespaced: true},
		}},
	}, extra...)
	return &sources.Cluster{Discovery: d, Client: cs}
}

// serviceMonitorAPI is the API of the Prometheus operator, which the shop
// chart asks for with .Capabilities.APIVersions.Has.
func serviceMonitorAPI() *metav1.APIResourceList {
	return &metav1.APIResourceList{GroupVersion: "monitoring.coreos.com/v1", APIResources: []metav1.APIResource{
		{Name: "servicemonitors", Kind: "ServiceMonitor", Namespaced: true},
	}}
}

// rendered lists the manifests as "Kind name <- origin", in the order
// RenderChart returned them.
func rendered(manifests []sources.Manifest) []string {
	var out []string
	for _, m := range manifests {
		out = append(out, fmt.Sprintf("%s %s <- %s", m.Object.GetKind(), m.Object.GetName(), m.Origin))
	}
	return out
}

// findObject returns the manifest of the kind and name, or fails the test.
func findObject(t *testing.T, manifests []sources.Manifest, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, m := range manifests {
		if m.Object.GetKind() == kind && m.Object.GetName() == name {
			return m.Object
		}
	}
	t.Fatalf("no %s %s among\n%s", kind, name, strings.Join(rendered(manifests), "\n"))
	return nil
}

// fieldType reads a field of obj as a string, whatever its type, for
// comparisons that must tell 1.1 from "1.10".
func fieldType(t *testing.T, obj *unstructured.Unstructured, fields ...string) string {
	t.Helper()
	v, found, err := unstructured.NestedFieldNoCopy(obj.Object, fields...)
	if err != nil || !found {
		t.Fatalf("%s %s has no %s (%v)", obj.GetKind(), obj.GetName(), strings.Join(fields, "."), err)
	}
	return fmt.Sprintf("%T %v", v, v)
}

func renderOK(t *testing.T, chart sources.Chart, namespace string, cluster *sources.Cluster) []sources.Manifest {
	t.Helper()
	manifests, errs := sources.RenderChart(context.Background(), chart, namespace, cluster)
	for _, err := range errs {
		t.Errorf("render %s: %v", chart.Path, err)
	}
	return manifests
}

func TestRenderChart(t *testing.T) {
	crds := []string{
		"CustomResourceDefinition widgets.shop.example.com <- chart shop: shop/crds/widgets.yaml:1",
		"CustomResourceDefinition evictionpolicies.cache.example.com <- chart shop: shop/charts/cache/crds/evictionpolicies.yaml:1",
	}
	// The CRDs first, then the templates' objects in Helm's install order:
	// by kind, then by template (a subchart's before the chart's own), then
	// by place in the template.
	for _, tt := range []struct {
		name  string
		chart sources.Chart
		want  []string
	}{
		{
			// No hook, no NOTES.txt, nothing from a template that renders
			// to nothing (the Ingress and the ServiceMonitor here).
			name:  "defaults",
			chart: sources.Chart{Path: shopChart},
			want: slices.Concat(crds, []string{
				"ConfigMap shop-settings <- chart shop: shop/templates/configmap.yaml",
				"Service shop-cache <- chart shop: shop/charts/cache/templates/service.yaml",
				"Service shop-web <- chart shop: shop/templates/service.yaml",
				"Deployment shop-cache <- chart shop: shop/charts/cache/templates/deployment.yaml",
				"Deployment shop-web <- chart shop: shop/templates/deployment.yaml",
			}),
		},
		{
			// The conditionals of values-prod.yaml: an Ingress, and a
			// second document in configmap.yaml.
			name:  "production values",
			chart: sources.Chart{Path: shopChart, ValuesFiles: []string{shopProdValues}},
			want: slices.Concat(crds, []string{
				"ConfigMap shop-settings <- chart shop: shop/templates/configmap.yaml",
				"ConfigMap shop-feature-flags <- chart shop: shop/templates/configmap.yaml",
				"Service shop-cache <- chart shop: shop/charts/cache/templates/service.yaml",
				"Service shop-web <- chart shop: shop/templates/service.yaml",
				"Deployment shop-cache <- chart shop: shop/charts/cache/templates/deployment.yaml",
				"Deployment shop-web <- chart shop: shop/templates/deployment.yaml",
				"Ingress shop <- chart shop: shop/templates/ingress.yaml",
			}),
		},
		{
			name:  "hooks included",
			chart: sources.Chart{Path: shopChart, IncludeHooks: true},
			want: slices.Concat(crds, []string{
				"ConfigMap shop-settings <- chart shop: shop/templates/configmap.yaml",
				"Service shop-cache <- chart shop: shop/charts/cache/templates/service.yaml",
				"Service shop-web <- chart shop: shop/templates/service.yaml",
				"Deployment shop-cache <- chart shop: shop/charts/cache/templates/deployment.yaml",
				"Deployment shop-web <- chart shop: shop/templates/deployment.yaml",
				"Job shop-migrate <- chart shop: shop/templates/migrate-job.yaml",
			}),
		},
		{
			// A disabled subchart renders nothing, not even its CRDs,
			// as in helm install.
			name:  "subchart disabled",
			chart: sources.Chart{Path: shopChart, Set: []string{"cache.enabled=false"}},
			want: []string{
				crds[0],
				"ConfigMap shop-settings <- chart shop: shop/templates/configmap.yaml",
				"Service shop-web <- chart shop: shop/templates/service.yaml",
				"Deployment shop-web <- chart shop: shop/templates/deployment.yaml",
			},
		},
		{
			// The release name is in the objects' names; the chart's
			// name stays in the origin.
			name:  "release name",
			chart: sources.Chart{Path: shopChart, ReleaseName: "prod"},
			want: slices.Concat(crds, []string{
				"ConfigMap prod-shop-settings <- chart shop: shop/templates/configmap.yaml",
				"Service prod-cache <- chart shop: shop/charts/cache/templates/service.yaml",
				"Service prod-shop-web <- chart shop: shop/templates/service.yaml",
				"Deployment prod-cache <- chart shop: shop/charts/cache/templates/deployment.yaml",
				"Deployment prod-shop-web <- chart shop: shop/templates/deployment.yaml",
			}),
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			manifests := renderOK(t, tt.chart, "shop", helmCluster("v1.37.2"))
			assertStrings(t, "rendered", rendered(manifests), tt.want)
		})
	}
}

func TestRenderChartOrigins(t *testing.T) {
	// Objects of templates have no line: a line of rendered text is no line
	// of the template. CRDs, which are not templates, have theirs.
	manifests := renderOK(t, sources.Chart{Path: shopChart, IncludeHooks: true}, "shop", helmCluster("v1.37.2"))
	for _, m := range manifests {
		want := sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "shop"}, File: m.Origin.File}
		if strings.Contains(m.Origin.File, "/crds/") {
			want.Line = 1
		}
		if m.Origin != want || !strings.HasPrefix(m.Origin.File, "shop/") {
			t.Errorf("%s %s: origin %#v, want the chart and a file of it", m.Object.GetKind(), m.Object.GetName(), m.Origin)
		}
	}
}

func TestRenderChartNamespace(t *testing.T) {
	// The namespace is .Release.Namespace; templates that do not use it
	// leave the namespace to the check's default, as Helm leaves it to
	// kubectl's.
	manifests := renderOK(t, sources.Chart{Path: shopChart}, "shop-prod", helmCluster("v1.37.2"))
	if ns := findObject(t, manifests, "Deployment", "shop-web").GetNamespace(); ns != "shop-prod" {
		t.Errorf("Deployment shop-web is in namespace %q, want shop-prod", ns)
	}
	if ns := findObject(t, manifests, "Service", "shop-web").GetNamespace(); ns != "" {
		t.Errorf("Service shop-web is in namespace %q, want none", ns)
	}
}

func TestRenderChartValuesPrecedence(t *testing.T) {
	web := func(t *testing.T, chart sources.Chart) (replicas, args, image string, cacheReplicas string) {
		t.Helper()
		chart.Path = shopChart
		m := renderOK(t, chart, "shop", helmCluster("v1.37.2"))
		d := findObject(t, m, "Deployment", "shop-web")
		containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		c := containers[0].(map[string]any)
		return fieldType(t, d, "spec", "replicas"), fmt.Sprint(c["args"]), fmt.Sprint(c["image"]),
			fieldType(t, findObject(t, m, "Deployment", "shop-cache"), "spec", "replicas")
	}
	for _, tt := range []struct {
		name                                 string
		chart                                sources.Chart
		replicas, args, image, cacheReplicas string
	}{
		{
			name:     "chart's values.yaml",
			replicas: "int64 2", args: "[--log-level=info]", image: "registry.example.com/shop/web:2.4.1", cacheReplicas: "int64 1",
		},
		{
			// A values file overrides values.yaml, the parent chart's
			// values reach the subchart under its name.
			name:     "values file",
			chart:    sources.Chart{ValuesFiles: []string{shopProdValues}},
			replicas: "int64 4", args: "[--log-level=warn]", image: "registry.example.com/shop/web:2.4.1", cacheReplicas: "int64 2",
		},
		{
			// --set beats the values files; --set-string beats --set.
			name: "set and set-string",
			chart: sources.Chart{
				ValuesFiles: []string{shopProdValues},
				Set:         []string{"replicaCount=5,logLevel=debug", "cache.replicas=3"},
				SetString:   []string{"logLevel=trace"},
			},
			replicas: "int64 5", args: "[--log-level=trace]", image: "registry.example.com/shop/web:2.4.1", cacheReplicas: "int64 3",
		},
		{
			// Later values files win.
			name:     "values files in order",
			chart:    sources.Chart{ValuesFiles: []string{shopProdValues, "testdata/charts/shop/values.yaml"}},
			replicas: "int64 2", args: "[--log-level=info]", image: "registry.example.com/shop/web:2.4.1", cacheReplicas: "int64 1",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			replicas, args, image, cacheReplicas := web(t, tt.chart)
			if replicas != tt.replicas || args != tt.args || image != tt.image || cacheReplicas != tt.cacheReplicas {
				t.Errorf("web replicas %s, args %s, image %s, cache replicas %s\nwant %s, %s, %s, %s",
					replicas, args, image, cacheReplicas, tt.replicas, tt.args, tt.image, tt.cacheReplicas)
			}
		})
	}
}

func TestRenderChartSetTypes(t *testing.T) {
	// Helm's own parsers: --set reads a number, --set-string keeps a string.
	// toYaml writes the flags as they were read.
	for _, tt := range []struct {
		name  string
		chart sources.Chart
		want  string
	}{
		{"set", sources.Chart{Set: []string{"featureFlags.enabled=true,featureFlags.flags.retries=3"}}, "int64 3"},
		{"set-string", sources.Chart{Set: []string{"featureFlags.enabled=true"}, SetString: []string{"featureFlags.flags.retries=3"}}, "string 3"},
		{"values file", sources.Chart{ValuesFiles: []string{shopProdValues}}, "string off"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.chart.Path = shopChart
			flags := findObject(t, renderOK(t, tt.chart, "shop", nil), "ConfigMap", "shop-feature-flags")
			key := "retries"
			if len(tt.chart.ValuesFiles) > 0 {
				key = "checkout-v2"
			}
			if got := fieldType(t, flags, "data", key); got != tt.want {
				t.Errorf("data.%s is %s, want %s", key, got, tt.want)
			}
		})
	}
}

func TestRenderChartArchive(t *testing.T) {
	// A packaged chart renders as its directory does.
	ch, err := chartloader.Load(shopChart)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(archive) != "shop-0.3.0.tgz" {
		t.Fatalf("packaged as %s", archive)
	}
	chart := sources.Chart{ValuesFiles: []string{shopProdValues}, IncludeHooks: true}
	chart.Path = shopChart
	fromDir := renderOK(t, chart, "shop", helmCluster("v1.37.2"))
	chart.Path = archive
	fromArchive := renderOK(t, chart, "shop", helmCluster("v1.37.2"))
	assertStrings(t, "rendered from "+archive, rendered(fromArchive), rendered(fromDir))
	for i := range min(len(fromDir), len(fromArchive)) {
		if want, got := fromDir[i].Object, fromArchive[i].Object; !equalObjects(want, got) {
			t.Errorf("%s %s differs:\n%v\nwant\n%v", got.GetKind(), got.GetName(), got.Object, want.Object)
		}
	}
}

func equalObjects(a, b *unstructured.Unstructured) bool {
	ja, errA := a.MarshalJSON()
	jb, errB := b.MarshalJSON()
	return errA == nil && errB == nil && string(ja) == string(jb)
}

func TestRenderChartCapabilities(t *testing.T) {
	for _, tt := range []struct {
		name           string
		cluster        *sources.Cluster
		serviceMonitor bool
	}{
		// Helm's defaults know only the built-in kinds.
		{"no cluster", nil, false},
		{"cluster without the API", helmCluster("v1.37.2"), false},
		{"cluster serving the API", helmCluster("v1.37.2", serviceMonitorAPI()), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			manifests := renderOK(t, sources.Chart{Path: shopChart}, "shop", tt.cluster)
			got := slices.ContainsFunc(manifests, func(m sources.Manifest) bool { return m.Object.GetKind() == "ServiceMonitor" })
			if got != tt.serviceMonitor {
				t.Errorf("ServiceMonitor rendered: %v, want %v\n%s", got, tt.serviceMonitor, strings.Join(rendered(manifests), "\n"))
			}
		})
	}
}

func TestRenderChartKubeVersion(t *testing.T) {
	for _, tt := range []struct {
		name    string
		chart   string
		cluster *sources.Cluster
		// wantErr is empty when the chart must render.
		wantErr string
	}{
		{"satisfied by the cluster", shopChart, helmCluster("v1.37.2"), ""},
		{"cluster too old", shopChart, helmCluster("v1.19.16"),
			"chart requires kubeVersion: >=1.20.0-0 which is incompatible with Kubernetes v1.19.16"},
		{"unsatisfiable", "testdata/charts/old-kube", helmCluster("v1.37.2"),
			"chart requires kubeVersion: <1.20.0 which is incompatible with Kubernetes v1.37.2"},
		// Without a cluster, the constraint is checked against Helm's
		// default version, as helm template does.
		{"unsatisfiable without a cluster", "testdata/charts/old-kube", nil,
			"chart requires kubeVersion: <1.20.0 which is incompatible with Kubernetes " + common.DefaultCapabilities.KubeVersion.Version},
	} {
		t.Run(tt.name, func(t *testing.T) {
			manifests, errs := sources.RenderChart(context.Background(), sources.Chart{Path: tt.chart}, "shop", tt.cluster)
			if tt.wantErr == "" {
				if len(errs) > 0 || len(manifests) == 0 {
					t.Fatalf("%d manifests, errors %v", len(manifests), errs)
				}
				return
			}
			if len(manifests) > 0 {
				t.Errorf("rendered %d objects despite the error", len(manifests))
			}
			name := filepath.Base(tt.chart)
			assertHelmErrors(t, errs, sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: name}}, tt.wantErr)
		})
	}
}

// assertHelmErrors checks that errs is one *sources.Error at origin whose
// message is want.
func assertHelmErrors(t *testing.T, errs []error, origin sources.Origin, want string) {
	t.Helper()
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
	}
	var e *sources.Error
	if !errors.As(errs[0], &e) {
		t.Fatalf("error %v is a %T, not a *sources.Error", errs[0], errs[0])
	}
	if e.Origin != origin || e.Err.Error() != want {
		t.Errorf("error at %#v: %q\nwant at %#v: %q", e.Origin, e.Err, origin, want)
	}
}

func TestRenderChartErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		chart  sources.Chart
		origin sources.Origin
		want   string
	}{
		{
			// The line of the file, counted as an editor counts it.
			name:   "values file does not parse",
			chart:  sources.Chart{Path: shopChart, ValuesFiles: []string{shopProdValues, "testdata/charts/bad-values.yaml"}},
			origin: sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "shop"}, File: "testdata/charts/bad-values.yaml", Line: 4},
			want:   "values file: invalid YAML: found a tab character that violates indentation",
		},
		{
			name:   "values file missing",
			chart:  sources.Chart{Path: shopChart, ValuesFiles: []string{"testdata/charts/no-such-values.yaml"}},
			origin: sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "shop"}, File: "testdata/charts/no-such-values.yaml"},
			want:   "no such file or directory",
		},
		{
			name:   "values from standard input",
			chart:  sources.Chart{Path: shopChart, ValuesFiles: []string{"-"}},
			origin: sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "shop"}, File: "-"},
			want:   "values cannot be read from standard input: name a file",
		},
		{
			name:   "bad --set",
			chart:  sources.Chart{Path: shopChart, Set: []string{"replicaCount"}},
			origin: sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "shop"}},
			want:   `--set replicaCount: key "replicaCount" has no value`,
		},
		{
			name:   "chart missing",
			chart:  sources.Chart{Path: "testdata/charts/no-such-chart"},
			origin: sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "testdata/charts/no-such-chart"}},
			want:   "load chart: no such file or directory",
		},
		{
			name:   "not a chart",
			chart:  sources.Chart{Path: "testdata/charts/shop/templates"},
			origin: sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "testdata/charts/shop/templates"}},
			want:   "load chart: unable to detect chart at " + mustAbs(t, "testdata/charts/shop/templates/Chart.yaml") + ": no such file or directory",
		},
		{
			// The template's own file and line, where the fix goes.
			name:   "template error",
			chart:  sources.Chart{Path: "testdata/charts/broken-template"},
			origin: sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "broken-template"}, File: "broken-template/templates/configmap.yaml", Line: 6},
			want:   "render: databaseURL is required",
		},
		{
			name:   "invalid release name",
			chart:  sources.Chart{Path: shopChart, ReleaseName: "Shop_Prod"},
			origin: sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "shop"}},
			want:   `release name "Shop_Prod": invalid release name, must match regex ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ and the length must not be longer than 53`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			manifests, errs := sources.RenderChart(context.Background(), tt.chart, "shop", helmCluster("v1.37.2"))
			if len(manifests) > 0 {
				t.Errorf("rendered %d objects despite the error", len(manifests))
			}
			assertHelmErrors(t, errs, tt.origin, tt.want)
		})
	}
}

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestRenderChartBadTemplateOutput(t *testing.T) {
	// A template that renders YAML that does not parse is an error of its
	// own; every other object, of that template too, is still rendered.
	manifests, errs := sources.RenderChart(context.Background(), sources.Chart{Path: "testdata/charts/bad-yaml"}, "shop", nil)
	assertStrings(t, "rendered", rendered(manifests), []string{
		"ConfigMap before <- chart bad-yaml: bad-yaml/templates/bad.yaml",
		"ConfigMap good <- chart bad-yaml: bad-yaml/templates/good.yaml",
	})
	// The line of the template, which the person can open, not of the
	// rendered text.
	assertHelmErrors(t, errs, sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "bad-yaml"}, File: "bad-yaml/templates/bad.yaml", Line: 11},
		"invalid YAML: did not find expected ',' or '}'")
}

func TestRenderChartTemplateParseError(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: typo\nversion: 1.0.0\n",
		"templates/good.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n",
		"templates/typo.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name | uper }}\n",
	})
	manifests, errs := sources.RenderChart(context.Background(), sources.Chart{Path: dir}, "shop", nil)
	if len(manifests) > 0 {
		t.Errorf("rendered %d objects despite the error", len(manifests))
	}
	assertHelmErrors(t, errs, sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "typo"}, File: "typo/templates/typo.yaml", Line: 4},
		`parse: function "uper" not defined`)
}

func TestRenderChartHookEvents(t *testing.T) {
	// Helm drops a hook with an event it does not know: it is neither run
	// nor installed, so it is not desired with or without hooks.
	dir := t.TempDir()
	hook := func(name, events string) string {
		return "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  annotations:\n    helm.sh/hook: " + events + "\n"
	}
	writeTree(t, dir, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: hooks\nversion: 1.0.0\n",
		"templates/hooks.yaml": hook("known", "pre-install, Post-Upgrade") + hook("unknown", "pre-install,post-frobnicate") +
			hook("helm2-test", "test-success") + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n",
	})
	for _, tt := range []struct {
		includeHooks bool
		want         []string
	}{
		{false, []string{"ConfigMap plain <- chart hooks: hooks/templates/hooks.yaml"}},
		{true, []string{
			"ConfigMap known <- chart hooks: hooks/templates/hooks.yaml",
			"ConfigMap helm2-test <- chart hooks: hooks/templates/hooks.yaml",
			"ConfigMap plain <- chart hooks: hooks/templates/hooks.yaml",
		}},
	} {
		manifests := renderOK(t, sources.Chart{Path: dir, IncludeHooks: tt.includeHooks}, "shop", nil)
		assertStrings(t, fmt.Sprintf("rendered with hooks %v", tt.includeHooks), rendered(manifests), tt.want)
	}
}

func TestRenderChartNotInstallable(t *testing.T) {
	// What helm install refuses is an error, rather than a chart rendered
	// without what it lacks.
	for _, tt := range []struct {
		name, chartYAML, want string
	}{
		{"missing subchart", "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: db\n    version: 1.0.0\n",
			"found in Chart.yaml, but missing in charts/ directory: db (helm dependency build fetches them)"},
		{"library chart", "apiVersion: v2\nname: app\nversion: 1.0.0\ntype: library\n",
			"library charts are not installable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{
				"Chart.yaml":        tt.chartYAML,
				"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
			})
			manifests, errs := sources.RenderChart(context.Background(), sources.Chart{Path: dir}, "shop", nil)
			if len(manifests) > 0 {
				t.Errorf("rendered %d objects despite the error", len(manifests))
			}
			assertHelmErrors(t, errs, sources.Origin{Source: sources.Source{Kind: sources.SourceChart, Name: "app"}}, tt.want)
		})
	}
}

func TestLoadRendersCharts(t *testing.T) {
	// Load renders the charts it is given for its namespace and cluster.
	manifests, errs := sources.Load(context.Background(), sources.Options{
		Charts:    []sources.Chart{{Path: shopChart, ValuesFiles: []string{shopProdValues}}},
		Namespace: "shop-prod",
		Cluster:   helmCluster("v1.37.2", serviceMonitorAPI()),
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	findObject(t, manifests, "ServiceMonitor", "shop")
	if ns := findObject(t, manifests, "Deployment", "shop-web").GetNamespace(); ns != "shop-prod" {
		t.Errorf("Deployment shop-web in namespace %q", ns)
	}
}
