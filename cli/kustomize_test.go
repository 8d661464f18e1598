package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// kustomizeTree copies the kustomizations of the sources tests into a new
// directory, with the prod overlay's objects in namespace ns, and returns the
// directory. Copied whole, because kustomize reads a base only from within
// the tree, the same for kubectl and for kubedrift.
func kustomizeTree(t *testing.T, ns string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../sources/testdata/kustomize")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "overlays", "prod", "kustomization.yaml")
	k, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(k, "namespace: "+ns+"\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// applyKustomization applies the kustomization with kubectl apply -k and
// waits for the Deployment controller's revision annotation, as deploy does
// for files.
func applyKustomization(t *testing.T, ns, dir string) {
	t.Helper()
	kubectl(t, "apply", "-k", dir)
	kubectl(t, "wait", "deployment", "--all", "-n", ns, "--timeout=60s",
		`--for=jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}`)
}

// assertVerdict checks that the report has the line of an object: its status,
// its name and its origin, however wide the columns.
func assertVerdict(t *testing.T, r result, status, ref, origin string) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(status) + ` +` + regexp.QuoteMeta(ref) + ` +` + regexp.QuoteMeta(origin) + `$`)
	if !re.MatchString(r.stdout) {
		t.Errorf("no line %q %q %q in the report\n%v", status, ref, origin, r)
	}
}

func TestKustomizeCheck(t *testing.T) {
	ns := namespace(t)
	tree := kustomizeTree(t, ns)
	overlay := filepath.Join(tree, "overlays", "prod")
	applyKustomization(t, ns, overlay)

	// The ConfigMap kubectl created, with the hash its generator gave it.
	configMap := strings.TrimPrefix(kubectl(t, "get", "configmap", "-n", ns, "-l", "env=prod", "-o", "name"), "configmap/")
	configMap = strings.TrimSpace(configMap)
	if !regexp.MustCompile(`^prod-web-settings-[a-z0-9]{10}$`).MatchString(configMap) {
		t.Fatalf("kubectl apply -k created ConfigMap %q, want one named by its generator", configMap)
	}
	source := "kustomization " + overlay + ": "
	base := filepath.Join(tree, "base")

	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-k", overlay)
	assertCode(t, r, cli.ExitInSync)
	assertVerdict(t, r, "in sync", "ConfigMap "+ns+"/"+configMap, source+filepath.Join(base, "kustomization.yaml"))
	assertVerdict(t, r, "in sync", "Service "+ns+"/prod-web", source+filepath.Join(base, "service.yaml"))
	assertVerdict(t, r, "in sync", "Deployment.apps "+ns+"/prod-web", source+filepath.Join(base, "deployment.yaml"))
	assertContains(t, r, "3 objects: 3 in sync, 0 drifted, 0 missing, 0 errors")
	if strings.Contains(r.stdout+r.stderr, "config.kubernetes.io/origin") {
		t.Errorf("the origin annotation kubedrift asked kustomize for shows in the report\n%v", r)
	}

	// The overlay's patch set 3 replicas; a person scales by hand.
	kubectl(t, "scale", "deployment/prod-web", "--replicas=5", "-n", ns)
	r = kubedrift(t, testcluster.AdminUser, ns, "--check", "-k", overlay)
	assertCode(t, r, cli.ExitDrift)
	assertVerdict(t, r, "drifted", "Deployment.apps "+ns+"/prod-web", source+filepath.Join(base, "deployment.yaml"))
	assertVerdict(t, r, "in sync", "ConfigMap "+ns+"/"+configMap, source+filepath.Join(base, "kustomization.yaml"))
	assertVerdict(t, r, "in sync", "Service "+ns+"/prod-web", source+filepath.Join(base, "service.yaml"))
	assertContains(t, r,
		"\n    -  replicas: 5\n    +  replicas: 3\n",
		"3 objects: 2 in sync, 1 drifted, 0 missing, 0 errors",
	)
	if n := strings.Count(r.stdout, "\ndrifted "); n != 1 {
		t.Errorf("%d drifted objects, want only the Deployment\n%v", n, r)
	}

	// A kustomization and files in one run: every object is judged.
	files := manifests(t, ns, map[string]string{"extra.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: extra
  namespace: NAMESPACE
data:
  owner: shop
`})
	extra := filepath.Join(files, "extra.yaml")
	r = kubedrift(t, testcluster.AdminUser, ns, "--check", "-k", overlay, "-f", extra)
	assertCode(t, r, cli.ExitDrift)
	assertVerdict(t, r, "missing", "ConfigMap "+ns+"/extra", extra+":1")
	assertVerdict(t, r, "drifted", "Deployment.apps "+ns+"/prod-web", source+filepath.Join(base, "deployment.yaml"))
	assertContains(t, r, "4 objects: 2 in sync, 1 drifted, 1 missing, 0 errors")
}

func TestKustomizeBrokenKustomization(t *testing.T) {
	// A kustomization that does not build is an error naming it and the
	// file at fault; the objects of the other sources are judged all the
	// same.
	ns := namespace(t)
	tree := kustomizeTree(t, ns)
	broken := filepath.Join(tree, "broken", "missing-resource")
	files := manifests(t, ns, map[string]string{"extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"})
	kubectl(t, "create", "configmap", "extra", "-n", ns)

	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-k", broken, "-f", files)
	assertCode(t, r, cli.ExitError)
	real, err := filepath.EvalSymlinks(broken)
	if err != nil {
		t.Fatal(err)
	}
	assertContains(t, r,
		"error     kustomization "+broken+": accumulating resources from 'gone.yaml': "+filepath.Join(real, "gone.yaml")+": no such file or directory\n",
		"1 object: 1 in sync, 0 drifted, 0 missing, 1 error",
	)
	assertVerdict(t, r, "in sync", "ConfigMap "+ns+"/extra", filepath.Join(files, "extra.yaml")+":1")
}
