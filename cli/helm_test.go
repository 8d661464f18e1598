package cli_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartloader "helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/getter"
	"helm.sh/helm/v4/pkg/kube"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// The shop chart of the sources tests: a web Deployment, Service and
// settings ConfigMap, a cache subchart (Deployment and Service), an Ingress
// and a feature-flags ConfigMap with values-prod.yaml, a pre-install hook
// Job and two CRDs in crds/.
const (
	shopChart      = "../sources/testdata/charts/shop"
	shopProdValues = shopChart + "/values-prod.yaml"
)

// helmValues merges values files and --set values with Helm's own code, as
// the helm command does.
func helmValues(t *testing.T, files []string, set ...string) map[string]any {
	t.Helper()
	opts := values.Options{ValueFiles: files, Values: set}
	vals, err := opts.MergeValues(getter.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// helmConfig is Helm's action configuration for the test cluster's admin in
// namespace, with releases stored in Secrets, as the helm command makes it.
func helmConfig(t *testing.T, namespace string) *action.Configuration {
	t.Helper()
	kubeconfig, err := cluster.KubeconfigFile(testcluster.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	flags := genericclioptions.NewConfigFlags(false)
	cacheDir := t.TempDir()
	flags.KubeConfig, flags.Namespace, flags.CacheDir = &kubeconfig, &namespace, &cacheDir
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler))
	if err := cfg.Init(flags, namespace, "secret"); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func loadShop(t *testing.T) *chartv2.Chart {
	t.Helper()
	ch, err := chartloader.Load(shopChart)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// helmInstall installs the shop chart as release name into namespace with
// the Helm SDK, as `helm install` does, and waits for its Deployments to be
// rolled out. Hooks are not run: the test cluster has no kubelet, and a hook
// Job would never complete.
func helmInstall(t *testing.T, namespace, name string, vals map[string]any) *releasev1.Release {
	t.Helper()
	install := action.NewInstall(helmConfig(t, namespace))
	install.ReleaseName, install.Namespace = name, namespace
	install.DisableHooks = true
	install.WaitStrategy = kube.HookOnlyStrategy
	install.Timeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := install.RunWithContext(ctx, loadShop(t), vals)
	if err != nil {
		t.Fatalf("helm install %s: %v", name, err)
	}
	waitForDeployments(t, namespace)
	return r.(*releasev1.Release)
}

// helmUpgrade upgrades the release as `helm upgrade` does.
func helmUpgrade(t *testing.T, namespace, name string, vals map[string]any) *releasev1.Release {
	t.Helper()
	upgrade := action.NewUpgrade(helmConfig(t, namespace))
	upgrade.Namespace = namespace
	upgrade.DisableHooks = true
	upgrade.WaitStrategy = kube.HookOnlyStrategy
	upgrade.Timeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := upgrade.RunWithContext(ctx, name, loadShop(t), vals)
	if err != nil {
		t.Fatalf("helm upgrade %s: %v", name, err)
	}
	waitForDeployments(t, namespace)
	return r.(*releasev1.Release)
}

// helmTemplate renders the shop chart as `helm template --include-crds`
// does, with the Helm SDK's client-only dry run, into a directory of its own,
// and returns the directory: what a person would kubectl apply.
func helmTemplate(t *testing.T, namespace, name string, vals map[string]any) string {
	t.Helper()
	install := action.NewInstall(action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler)))
	install.DryRunStrategy = action.DryRunClient
	install.ReleaseName, install.Namespace = name, namespace
	install.IncludeCRDs = true
	r, err := install.RunWithContext(context.Background(), loadShop(t), vals)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(r.(*releasev1.Release).Manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func waitForDeployments(t *testing.T, namespace string) {
	t.Helper()
	kubectl(t, "wait", "deployment", "--all", "-n", namespace, "--timeout=60s",
		`--for=jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}`)
}

func TestHelmChartInSyncThenDrifted(t *testing.T) {
	ns := namespace(t)
	// Installed from Helm's own render of the chart, so that kubedrift's
	// render must match Helm's to the field.
	deploy(t, ns, helmTemplate(t, ns, "shop", helmValues(t, []string{shopProdValues})), "apply", "-n", ns)

	args := []string{"--check", "--helm", shopChart, "--values", shopProdValues, "-n", ns}
	r := kubedrift(t, testcluster.AdminUser, "default", args...)
	assertCode(t, r, cli.ExitInSync)
	assertContains(t, r,
		"in sync   Deployment.apps "+ns+"/shop-web ",
		"chart shop: shop/templates/deployment.yaml",
		"in sync   Deployment.apps "+ns+"/shop-cache ",
		"chart shop: shop/charts/cache/templates/deployment.yaml",
		"in sync   Ingress.networking.k8s.io "+ns+"/shop ",
		"in sync   ConfigMap "+ns+"/shop-feature-flags ",
		"in sync   CustomResourceDefinition.apiextensions.k8s.io widgets.shop.example.com ",
		"chart shop: shop/crds/widgets.yaml",
		"9 objects: 9 in sync, 0 drifted, 0 missing, 0 errors",
	)
	if strings.Contains(r.stdout, "Job") {
		t.Errorf("the pre-install hook is part of the desired state\n%v", r)
	}

	kubectl(t, "scale", "deployment/shop-web", "--replicas=7", "-n", ns)
	r = kubedrift(t, testcluster.AdminUser, "default", args...)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r,
		"drifted   Deployment.apps "+ns+"/shop-web ",
		"\n    -  replicas: 7\n    +  replicas: 4\n",
		"in sync   Deployment.apps "+ns+"/shop-cache ",
		"9 objects: 8 in sync, 1 drifted, 0 missing, 0 errors",
	)
}

func TestHelmReleaseDrifted(t *testing.T) {
	ns := namespace(t)
	rel := helmInstall(t, ns, "shop", helmValues(t, []string{shopProdValues}))
	if len(rel.Hooks) == 0 {
		t.Fatal("the release has no hooks: the test would not show that they are left out")
	}
	// Revision 2 is the one deployed; revision 1 had 4 replicas.
	helmUpgrade(t, ns, "shop", helmValues(t, []string{shopProdValues}, "replicaCount=5"))
	kubectl(t, "patch", "configmap/shop-settings", "-n", ns, "-p", `{"data":{"LOG_LEVEL":"debug"}}`)

	r := kubedrift(t, testcluster.AdminUser, "default", "--check", "--release", "shop", "-n", ns)
	assertCode(t, r, cli.ExitDrift)
	from := "release " + ns + "/shop (revision 2): "
	assertContains(t, r,
		"drifted   ConfigMap "+ns+"/shop-settings ",
		from+"shop/templates/configmap.yaml",
		"\n    -  LOG_LEVEL: debug\n    +  LOG_LEVEL: warn\n",
		"in sync   Deployment.apps "+ns+"/shop-web ",
		from+"shop/templates/deployment.yaml",
		"in sync   Deployment.apps "+ns+"/shop-cache ",
		from+"shop/charts/cache/templates/deployment.yaml",
		"in sync   Ingress.networking.k8s.io "+ns+"/shop ",
		// Neither the hook nor the CRDs, which Helm keeps out of the
		// release's manifest.
		"7 objects: 6 in sync, 1 drifted, 0 missing, 0 errors",
	)
	if strings.Contains(r.stdout, "Job") || strings.Contains(r.stdout, "CustomResourceDefinition") {
		t.Errorf("a hook or a CRD is part of the release's desired state\n%v", r)
	}
}

func TestHelmReleaseMissing(t *testing.T) {
	ns := namespace(t)
	r := kubedrift(t, testcluster.AdminUser, "default", "--check", "--release", "nope", "-n", ns)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		`error     release `+ns+`/nope: release "nope" not found in namespace "`+ns+`": looked in Helm's release storage in Secrets and ConfigMaps`,
		"0 objects: 0 in sync, 0 drifted, 0 missing, 1 error",
	)
}

func TestHelmReleaseReadOnlyUser(t *testing.T) {
	// The read-only user may list Secrets, so it reads the release; it may
	// not patch, so every object's dry run is forbidden.
	ns := namespace(t)
	helmInstall(t, ns, "shop", helmValues(t, nil))

	// Auto mode, the default, judges offline what it may not dry-run.
	r := kubedrift(t, testcluster.ReadOnlyUser, "default", "--check", "--release", "shop", "-n", ns)
	assertCode(t, r, cli.ExitInSync)
	assertContains(t, r,
		"in sync   Deployment.apps "+ns+"/shop-web ",
		"5 objects: 5 in sync, 0 drifted, 0 missing, 0 errors",
	)
	if n := strings.Count(r.stdout, "(judged offline: the dry run is forbidden)"); n != 5 {
		t.Errorf("%d objects say they were judged offline, want 5\n%v", n, r)
	}

	r = kubedrift(t, testcluster.ReadOnlyUser, "default", "--check", "--mode=server", "--release", "shop", "-n", ns)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		"error     Deployment.apps "+ns+"/shop-web ",
		"release "+ns+"/shop (revision 1): shop/templates/deployment.yaml",
		`cannot patch resource "deployments" in API group "apps" in the namespace "`+ns+`"`,
		"5 objects: 0 in sync, 0 drifted, 0 missing, 5 errors",
	)
	if n := strings.Count(r.stdout, "Forbidden: "); n != 5 {
		t.Errorf("%d Forbidden verdicts, want 5\n%v", n, r)
	}
	if strings.Contains(r.stdout+r.stderr, "not found") || strings.Contains(r.stdout+r.stderr, "cannot look in") {
		t.Errorf("the release was not read\n%v", r)
	}
}

func TestHelmChartReleaseAndFilesTogether(t *testing.T) {
	ns := namespace(t)
	helmInstall(t, ns, "shop", helmValues(t, nil))
	deploy(t, ns, helmTemplate(t, ns, "extra", helmValues(t, nil)), "apply", "-n", ns)
	dir := manifests(t, ns, map[string]string{"standalone.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: standalone
  namespace: NAMESPACE
data:
  owner: platform
`})
	kubectl(t, "apply", "-f", dir)

	r := kubedrift(t, testcluster.AdminUser, "default", "--check", "-n", ns,
		"--release", "shop", "--helm", shopChart, "--helm-release", "extra", "-f", dir)
	assertCode(t, r, cli.ExitInSync)
	assertContains(t, r,
		"in sync   Deployment.apps "+ns+"/shop-web ",
		"release "+ns+"/shop (revision 1): shop/templates/deployment.yaml",
		"in sync   Deployment.apps "+ns+"/extra-shop-web ",
		"chart shop: shop/templates/deployment.yaml",
		"in sync   ConfigMap "+ns+"/standalone ",
		filepath.Join(dir, "standalone.yaml")+":1",
		// 5 objects of the release, 5 and 2 CRDs of the chart, 1 file.
		"13 objects: 13 in sync, 0 drifted, 0 missing, 0 errors",
	)
}
