package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// These tests run kubedrift --check end to end against a real kube-apiserver
// and kube-controller-manager; `make test` builds them first.

// cluster is shared by the package's tests, each in a namespace of its own.
var cluster *testcluster.Cluster

func TestMain(m *testing.M) {
	testcluster.Main(m, func(c *testcluster.Cluster) { cluster = c })
}

// app is a small application: the kinds people deploy most, with defaults
// left to the server so that a check must not mistake them for drift.
const app = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: NAMESPACE
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27.3
          ports: [{containerPort: 80}]
          resources:
            requests: {cpu: 100m, memory: 64Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: NAMESPACE
  labels: {tier: frontend}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: NAMESPACE
data:
  log-level: info
---
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: NAMESPACE
stringData:
  password: correct-horse-battery-staple
`

// result is what one run of kubedrift printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// kubedrift runs the command line as user, with namespace as the kubeconfig's
// default namespace.
func kubedrift(t *testing.T, user, namespace string, args ...string) result {
	t.Helper()
	kc, err := cluster.Kubeconfig(user, namespace)
	if err != nil {
		t.Fatal(err)
	}
	return kubedriftWithKubeconfig(t, kc, "", args...)
}

// kubedriftWithKubeconfig runs the command line with the given kubeconfig
// content and standard input.
func kubedriftWithKubeconfig(t *testing.T, kubeconfig []byte, stdin string, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &stdout, ErrOut: &stderr}
	args = append([]string{"--kubeconfig", path, "--cache-dir", filepath.Join(dir, "cache")}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := cli.Main(ctx, "kubedrift", args, streams)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// namespace creates a namespace for the test and returns its name.
func namespace(t *testing.T) string {
	t.Helper()
	name := strings.ToLower(regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(t.Name(), "-"))
	name = strings.Trim(name[:min(len(name), 50)], "-")
	kubectl(t, "create", "namespace", name)
	t.Cleanup(func() {
		_, _ = cluster.Kubectl(context.Background(), testcluster.AdminUser, "delete", "namespace", name, "--wait=false")
	})
	return name
}

// kubectl changes the cluster as its admin, the way a person would.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := cluster.Kubectl(ctx, testcluster.AdminUser, args...)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// manifests writes files (name to content, NAMESPACE replaced by ns) into a
// new directory and returns it.
func manifests(t *testing.T, ns string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(content, "NAMESPACE", ns)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// deploy applies the directory and waits until the Deployment controller has
// written its revision annotation: a controller's write, not drift.
func deploy(t *testing.T, ns, dir string, applyArgs ...string) {
	t.Helper()
	kubectl(t, append(applyArgs, "-f", dir)...)
	kubectl(t, "wait", "deployment", "--all", "-n", ns, "--timeout=60s",
		`--for=jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}`)
}

func assertContains(t *testing.T, r result, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.stdout+r.stderr, w) {
			t.Errorf("output does not contain %q\n%v", w, r)
		}
	}
}

func assertCode(t *testing.T, r result, want int) {
	t.Helper()
	if r.code != want {
		t.Fatalf("exit code %d, want %d\n%v", r.code, want, r)
	}
}

func TestCheckInSync(t *testing.T) {
	// However the objects were created, and whatever the server and its
	// controllers added since, an unchanged application is in sync.
	for _, tc := range []struct {
		name  string
		apply []string
	}{
		{"client-side apply", []string{"apply"}},
		{"server-side apply", []string{"apply", "--server-side"}},
		{"create", []string{"create"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := namespace(t)
			dir := manifests(t, ns, map[string]string{"app.yaml": app})
			deploy(t, ns, dir, tc.apply...)

			r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
			assertCode(t, r, cli.ExitInSync)
			assertContains(t, r,
				"in sync   Deployment.apps "+ns+"/web",
				"in sync   Service "+ns+"/web",
				"in sync   ConfigMap "+ns+"/settings",
				"in sync   Secret "+ns+"/db",
				"4 objects: 4 in sync, 0 drifted, 0 missing, 0 errors",
			)
		})
	}
}

func TestCheckDriftedDeployment(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply")
	kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)

	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r,
		"drifted   Deployment.apps "+ns+"/web",
		filepath.Join(dir, "app.yaml")+":1",
		"\n    -  replicas: 5\n    +  replicas: 3\n",
		"in sync   Service "+ns+"/web",
		"4 objects: 3 in sync, 1 drifted, 0 missing, 0 errors",
	)
}

func TestCheckMissingObject(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply")
	kubectl(t, "delete", "configmap/settings", "-n", ns)

	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r,
		"missing   ConfigMap "+ns+"/settings",
		"    +  log-level: info\n",
		"4 objects: 3 in sync, 0 drifted, 1 missing, 0 errors",
	)
}

func TestCheckMissingNamespace(t *testing.T) {
	// Nothing of the application exists, not even its namespace: every
	// object is missing, and none is an error.
	dir := manifests(t, "not-created-yet", map[string]string{"app.yaml": app})
	r := kubedrift(t, testcluster.AdminUser, "default", "--check", "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r, "4 objects: 0 in sync, 0 drifted, 4 missing, 0 errors")
}

func TestCheckMalformedYAML(t *testing.T) {
	ns := namespace(t)
	const good = `apiVersion: v1
kind: ConfigMap
metadata:
  name: good
data:
  a: "1"
`
	// The second document is broken on line 10 of the file; the first and
	// the third are fine and must still be judged.
	const bad = `apiVersion: v1
kind: ConfigMap
metadata:
  name: before
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
  labels: {a: b
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: after
`
	dir := manifests(t, ns, map[string]string{"good.yaml": good, "bad.yaml": bad})
	kubectl(t, "create", "configmap", "good", "--from-literal=a=1", "-n", ns)

	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		filepath.Join(dir, "bad.yaml")+":10: invalid YAML",
		"in sync   ConfigMap "+ns+"/good",
		"missing   ConfigMap "+ns+"/before",
		"missing   ConfigMap "+ns+"/after",
		"3 objects: 1 in sync, 0 drifted, 2 missing, 1 error",
	)
}

func TestCheckUnknownKind(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: known
`})
	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		"error     Widget.example.com w",
		`NoKind: no matches for kind "Widget" in version "example.com/v1"`,
		"missing   ConfigMap "+ns+"/known",
	)
}

func TestCheckReadOnlyUser(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply")
	kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)

	// Server mode needs the dry run, which the user may not send.
	r := kubedrift(t, testcluster.ReadOnlyUser, ns, "--check", "--mode=server", "-f", dir)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		`needs "patch" permission`,
		`User "`+testcluster.ReadOnlyUser+`" cannot patch resource "deployments" in API group "apps" in the namespace "`+ns+`"`,
		`cannot patch resource "configmaps"`,
		"4 objects: 0 in sync, 0 drifted, 0 missing, 4 errors",
	)
	if strings.Count(r.stdout, "Forbidden: ") != 4 {
		t.Errorf("want 4 Forbidden verdicts\n%v", r)
	}

	// Auto mode, the default, judges those objects offline instead, and
	// says so for each.
	r = kubedrift(t, testcluster.ReadOnlyUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r,
		"drifted   Deployment.apps "+ns+"/web",
		"spec.replicas: 5 -> 3",
		"4 objects: 3 in sync, 1 drifted, 0 missing, 0 errors",
	)
	if n := strings.Count(r.stdout, "(judged offline: the dry run is forbidden)"); n != 4 {
		t.Errorf("%d objects say they were judged offline, want 4\n%v", n, r)
	}
}

// unreachableKubeconfig names a cluster where nothing listens, with a token
// that no output may show.
const unreachableKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: gone, context: {cluster: gone, user: nobody}}]
current-context: gone
users: [{name: nobody, user: {token: never-printed-token}}]
`

func TestCheckUnreachableCluster(t *testing.T) {
	dir := manifests(t, "default", map[string]string{"app.yaml": app, "bad.yaml": "kind: [\n"})
	r := kubedriftWithKubeconfig(t, []byte(unreachableKubeconfig), "", "--check", "-f", dir)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		"error: cannot reach the cluster at https://127.0.0.1:1", "connection refused",
		// The problems in the manifests are reported all the same.
		"error: "+filepath.Join(dir, "bad.yaml")+":1: invalid YAML",
	)
}

func TestCheckMasksSecrets(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply")
	kubectl(t, "patch", "secret/db", "-n", ns, "-p", `{"stringData":{"password":"hunter2"}}`)

	for _, mode := range []string{"server", "offline"} {
		r := kubedrift(t, testcluster.AdminUser, ns, "--check", "--mode="+mode, "-f", dir)
		assertCode(t, r, cli.ExitDrift)
		assertContains(t, r, "drifted   Secret "+ns+"/db", "-  password: '*** (7 bytes, before)'", "+  password: '*** (28 bytes, after)'")
		for _, secret := range []string{"hunter2", "correct-horse-battery-staple"} {
			for _, form := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret))} {
				if strings.Contains(r.stdout+r.stderr, form) {
					t.Errorf("--mode=%s: output shows the secret value %q\n%v", mode, form, r)
				}
			}
		}
	}

	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "--show-secrets", "-f", dir)
	assertContains(t, r, base64.StdEncoding.EncodeToString([]byte("hunter2")))
}

// TestCheckWritesNothing proves from the API server's audit log that a check
// sends no write: in server mode nothing but reads and dry runs, in offline
// mode nothing but reads.
func TestCheckWritesNothing(t *testing.T) {
	for _, tt := range []struct {
		mode    string
		spare   bool
		dryRuns int // the dry runs the check must send
	}{
		// The drifted and the missing object, and the Secret, whose
		// stringData only the server folds into data; the Service's
		// apply is certain to change nothing.
		{"server", true, 3},
		{"auto", true, 3},
		{"server", false, 4}, // one per object
		{"offline", true, 0},
	} {
		t.Run(fmt.Sprintf("%s/spare=%t", tt.mode, tt.spare), func(t *testing.T) {
			ns := namespace(t)
			dir := manifests(t, ns, map[string]string{"app.yaml": app})
			deploy(t, ns, dir, "apply")
			kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)
			kubectl(t, "delete", "configmap/settings", "-n", ns)
			before, err := cluster.AuditEvents()
			if err != nil {
				t.Fatal(err)
			}

			r := kubedrift(t, testcluster.AdminUser, ns, "--check", "--mode="+tt.mode, fmt.Sprintf("--spare-dry-runs=%t", tt.spare), "-f", dir)
			assertCode(t, r, cli.ExitDrift)
			assertContains(t, r, "drifted   Deployment.apps "+ns+"/web", "missing   ConfigMap "+ns+"/settings")

			// Every request the check made in the namespace was a read or
			// a dry run. The log is read until it shows the check's lists
			// and dry runs, so that a request still being written is not
			// missed.
			var lists, dryRuns int
			deadline := time.Now().Add(10 * time.Second)
			for (lists < 4 || dryRuns < tt.dryRuns) && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				events, err := cluster.AuditEvents()
				if err != nil {
					t.Fatal(err)
				}
				lists, dryRuns = 0, 0
				for _, e := range events[len(before):] {
					if e.User.Username != testcluster.AdminUser || e.ObjectRef.Namespace != ns {
						continue
					}
					switch {
					case e.DryRun():
						dryRuns++
					case !e.ReadOnly():
						t.Fatalf("--check wrote to the cluster: %s %s", e.Verb, e.RequestURI)
					case e.Verb == "get":
						t.Errorf("--check read an object alone (%s); live state is read by list", e.RequestURI)
					case e.Verb == "list":
						lists++
					}
				}
			}
			if lists < 4 {
				t.Errorf("audit log shows %d lists in %s, want one per kind (4)", lists, ns)
			}
			if dryRuns != tt.dryRuns {
				t.Errorf("audit log shows %d dry runs in %s, want %d", dryRuns, ns, tt.dryRuns)
			}
		})
	}
}

// TestCheckAdmissionPolicy: a dry run is never spared for a kind that an
// admission policy sees, since only the server knows what the policy says:
// here it refuses the apply of an object otherwise in sync.
func TestCheckAdmissionPolicy(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: limits
  namespace: NAMESPACE
data:
  size: big
`})
	kubectl(t, "apply", "--server-side", "-f", dir)
	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitInSync)

	policy := manifests(t, ns, map[string]string{"policy.yaml": `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: NAMESPACE-no-big
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [UPDATE]
      resources: [configmaps]
    namespaceSelector:
      matchLabels: {kubernetes.io/metadata.name: NAMESPACE}
  validations:
  - expression: "object.data.size != 'big'"
    message: "no big sizes here"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: NAMESPACE-no-big
spec:
  policyName: NAMESPACE-no-big
  validationActions: [Deny]
`})
	kubectl(t, "apply", "-f", policy)
	t.Cleanup(func() { kubectl(t, "delete", "-f", policy) })

	// A policy takes a moment to be enforced after it is created.
	deadline := time.Now().Add(20 * time.Second)
	for r = kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir); r.code != cli.ExitError && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		r = kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
	}
	assertCode(t, r, cli.ExitError)
	assertContains(t, r, "error     ConfigMap "+ns+"/limits", "no big sizes here")
}

func TestCheckUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no manifests", []string{"--check"}, "error: no desired state given: name manifests with -f"},
		{"missing file", []string{"--check", "-f", "does-not-exist.yaml"}, "does-not-exist.yaml: no such file or directory"},
		{"unknown flag", []string{"--chekc"}, "error: unknown flag: --chekc"},
		{"no terminal for the UI", []string{"-f", "x.yaml"}, "the UI needs a terminal: run with --check for a report"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := kubedrift(t, testcluster.AdminUser, "default", tc.args...)
			assertCode(t, r, cli.ExitError)
			assertContains(t, r, tc.want)
		})
	}
}

func TestCheckStdin(t *testing.T) {
	// `-f -` reads standard input, beside files named with other -f.
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply")
	kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)
	kc, err := cluster.Kubeconfig(testcluster.AdminUser, ns)
	if err != nil {
		t.Fatal(err)
	}
	stdin := `apiVersion: v1
kind: ConfigMap
metadata:
  name: from-stdin
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
  labels: {a: b
`
	r := kubedriftWithKubeconfig(t, kc, stdin, "--check", "-f", "-", "-f", filepath.Join(dir, "app.yaml"))
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		"missing   ConfigMap "+ns+"/from-stdin  -:1",
		"error     -:10: invalid YAML",
		"drifted   Deployment.apps "+ns+"/web",
		"5 objects: 3 in sync, 1 drifted, 1 missing, 1 error",
	)
}

func TestCheckDuplicateAndDefaultNamespace(t *testing.T) {
	// The same object twice is an error naming both places; an object
	// without a namespace takes -n's, and a cluster-scoped one keeps none.
	ns := namespace(t)
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n"
	dir := manifests(t, ns, map[string]string{
		"a.yaml": cm,
		"b.yaml": "# the same object again\n" + cm,
		"c.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + ns + "\n",
	})
	r := kubedrift(t, testcluster.AdminUser, "default", "--check", "-n", ns, "-f", dir)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		"error     ConfigMap "+ns+"/twice  "+filepath.Join(dir, "b.yaml")+":2",
		"Duplicate: declared more than once, first at "+filepath.Join(dir, "a.yaml")+":1",
		"missing   ConfigMap "+ns+"/twice  "+filepath.Join(dir, "a.yaml")+":1",
		"in sync   Namespace "+ns+" ",
	)
}

func TestCheckMissingInOrder(t *testing.T) {
	// A kind and a namespace that come with the desired state: their
	// objects are missing until those are created, not errors.
	ns := strings.ToLower(t.Name())
	dir := manifests(t, ns, map[string]string{"app.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gizmos.order.example.com
spec:
  group: order.example.com
  names: {kind: Gizmo, plural: gizmos, singular: gizmo, listKind: GizmoList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: v1
kind: Namespace
metadata:
  name: NAMESPACE
---
apiVersion: order.example.com/v1
kind: Gizmo
metadata:
  name: g
  namespace: NAMESPACE
spec: {size: 3}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: NAMESPACE
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: elsewhere
  namespace: nowhere-to-be-found
`})
	r := kubedrift(t, testcluster.AdminUser, "default", "--check", "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r,
		"missing   Gizmo.order.example.com "+ns+"/g",
		"(after its CustomResourceDefinition is created)",
		"    +  size: 3\n",
		"missing   ConfigMap "+ns+"/settings",
		"(after its namespace is created)",
		`missing   ConfigMap nowhere-to-be-found/elsewhere`,
		`(its namespace "nowhere-to-be-found" does not exist)`,
		"5 objects: 0 in sync, 0 drifted, 5 missing, 0 errors",
	)
}

func TestCheckUnmanaged(t *testing.T) {
	// Live objects that carry the application's label but that no manifest
	// declares are reported; only --prune makes them drift.
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: kept
  labels: {app: shop}
`})
	kubectl(t, "apply", "-n", ns, "-f", dir)
	kubectl(t, "create", "configmap", "leftover", "-n", ns, "--from-literal=k=v")
	kubectl(t, "label", "configmap", "leftover", "app=shop", "-n", ns)
	kubectl(t, "create", "configmap", "unrelated", "-n", ns)

	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-l", "app=shop", "-f", dir)
	assertCode(t, r, cli.ExitInSync)
	assertContains(t, r,
		"unmanaged  ConfigMap "+ns+"/leftover",
		"in sync    ConfigMap "+ns+"/kept",
		"(no manifest declares it)",
		"    -  k: v\n",
		"2 objects: 1 in sync, 0 drifted, 0 missing, 1 unmanaged, 0 errors",
	)
	if strings.Contains(r.stdout, "unrelated") {
		t.Errorf("an object without the label is reported\n%v", r)
	}

	r = kubedrift(t, testcluster.AdminUser, ns, "--check", "-l", "app=shop", "--prune", "-f", dir)
	assertCode(t, r, cli.ExitDrift)

	r = kubedrift(t, testcluster.AdminUser, ns, "--check", "--prune", "-f", dir)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r, "--prune needs --selector or --release")
}

// TestCheckAllNamespaces: with -A, unmanaged objects are looked for in
// every namespace; a user who may not list across namespaces is told where
// they were not looked for, and the desired objects are still judged.
func TestCheckAllNamespaces(t *testing.T) {
	ns := namespace(t)
	label := "app=" + ns // no other test's objects carry it
	dir := manifests(t, ns, map[string]string{"app.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: kept
  labels: {app: ` + ns + `}
`})
	kubectl(t, "apply", "-n", ns, "-f", dir)
	other := ns + "-elsewhere"
	kubectl(t, "create", "namespace", other)
	t.Cleanup(func() { kubectl(t, "delete", "namespace", other, "--wait=false") })
	kubectl(t, "create", "configmap", "stray", "-n", other)
	kubectl(t, "label", "configmap", "stray", label, "-n", other)
	kubectl(t, "create", "configmap", "unrelated", "-n", other)

	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-l", label, "--prune", "-f", dir)
	assertCode(t, r, cli.ExitInSync)
	if strings.Contains(r.stdout, "stray") {
		t.Errorf("without -A, an object outside the manifests' namespaces is reported\n%v", r)
	}

	r = kubedrift(t, testcluster.AdminUser, ns, "--check", "-l", label, "-A", "-f", dir)
	assertCode(t, r, cli.ExitInSync)
	assertContains(t, r,
		"unmanaged  ConfigMap "+other+"/stray",
		"in sync    ConfigMap "+ns+"/kept",
		"2 objects: 1 in sync, 0 drifted, 0 missing, 1 unmanaged, 0 errors",
	)
	if strings.Contains(r.stdout, "unrelated") {
		t.Errorf("an object without the label is reported\n%v", r)
	}
	r = kubedrift(t, testcluster.AdminUser, ns, "--check", "-l", label, "--all-namespaces", "--prune", "-f", dir)
	assertCode(t, r, cli.ExitDrift)

	// The namespace's admin may not list ConfigMaps everywhere.
	kubectl(t, "create", "rolebinding", "unbound-admin", "--clusterrole=admin", "--user="+testcluster.UnboundUser, "-n", ns)
	r = kubedrift(t, testcluster.UnboundUser, ns, "--check", "-l", label, "-A", "-f", dir)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		"in sync   ConfigMap "+ns+"/kept",
		"unmanaged ConfigMap objects were looked for only in the namespaces of the manifests: listing them in all namespaces failed",
		"forbidden",
	)

	r = kubedrift(t, testcluster.AdminUser, ns, "--check", "-A", "-f", dir)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r, "--all-namespaces looks for unmanaged objects, so it needs --selector or --release")
}

func TestCheckIgnoreRules(t *testing.T) {
	// An HPA owns replicas: a rule beside the manifests takes them out of
	// the comparison, and the scaled Deployment is in sync.
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply")
	kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)
	rules := "ignore:\n  - group: apps\n    kind: Deployment\n    paths: [/spec/replicas]\n"
	if err := os.WriteFile(filepath.Join(dir, ".kubedrift.yaml"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitInSync)
	assertContains(t, r, "in sync   Deployment.apps "+ns+"/web")

	// --config names another file; a malformed one names its line.
	bad := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(bad, []byte("ignore:\n  - kind: Deployment\n    paths: [spec/replicas]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = kubedrift(t, testcluster.AdminUser, ns, "--check", "--config", bad, "-f", dir)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r, bad+":3:")
	// The objects are still judged, without the rules, as the UI judges them.
	assertContains(t, r, "drifted   Deployment.apps "+ns+"/web")
	assertContains(t, r, "judged without ignore rules")
}
