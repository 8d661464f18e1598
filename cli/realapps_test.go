package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// The real-application test installs the guard chart, which holds the
// template patterns of popular charts that once gave false drift, the ways
// people install: with the real Helm 4 and Helm 3 command lines, and
// rendered by `helm template` and applied with kubectl, client-side and
// server-side. The untouched install must be in sync in every mode that
// names it (--helm, --release, -f); then the changes a person makes by
// hand must be found, and nothing else.

// installGuard installs the guard chart as release guard in ns the way how
// says, and returns kubedrift's arguments that judge it, by the flag that
// names its desired state.
func installGuard(t *testing.T, how, ns string) map[string][]string {
	t.Helper()
	switch how {
	case "helm 4", "helm 3":
		h := testcluster.Helm4
		if how == "helm 3" {
			h = testcluster.Helm3
		}
		helmCLI(t, h, "install", "guard", guardChart, "-n", ns)
		return map[string][]string{
			"--helm":    {"--helm", guardChart, "--helm-release", "guard"},
			"--release": {"--release", "guard"},
		}
	}
	// helm template | kubectl apply: the manifests as rendered once, without
	// the hooks, which kubectl would run as objects of their own.
	file := filepath.Join(t.TempDir(), "guard.yaml")
	if err := os.WriteFile(file, []byte(helmCLI(t, testcluster.Helm4, "template", "guard", guardChart, "-n", ns, "--no-hooks")), 0o644); err != nil {
		t.Fatal(err)
	}
	apply := []string{"apply", "-n", ns, "-f", file}
	if how == "kubectl apply --server-side" {
		apply = append(apply, "--server-side")
	}
	kubectl(t, apply...)
	return map[string][]string{"-f": {"-f", file}}
}

// runAsControllers does to the guard install in ns what the cluster's
// controllers do after an install: a CA injector writes the webhook's CA
// bundle, the webhook's own controller makes it fail closed once it serves,
// the HPA scales the api up, and the TTL controller removes the finished
// Job (no kubelet runs its pod here, so the test removes it as the
// controller would).
func runAsControllers(t *testing.T, ns string) {
	t.Helper()
	webhook := ns + "-guard"
	kubectl(t, "patch", "validatingwebhookconfiguration", webhook, "--type=json", "--field-manager=cainjector",
		"-p", `[{"op":"replace","path":"/webhooks/0/clientConfig/caBundle","value":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="}]`)
	kubectl(t, "patch", "validatingwebhookconfiguration", webhook, "--type=json", "--field-manager=guard-controller",
		"-p", `[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Fail"}]`)
	kubectl(t, "patch", "deployment", "guard-api", "-n", ns, "--subresource=scale", "--type=merge",
		"--field-manager=kube-controller-manager", "-p", `{"spec":{"replicas":3}}`)
	kubectl(t, "delete", "job", "guard-migrate", "-n", ns)
}

// drifts lists the verdicts that are not in sync, as "Kind/name status
// pointers...", sorted.
func drifts(verdicts map[string]string) []string {
	var out []string
	for obj, v := range verdicts {
		if v != "InSync" {
			out = append(out, obj+" "+v)
		}
	}
	slices.Sort(out)
	return out
}

func TestRealApplicationInstalls(t *testing.T) {
	for _, how := range []string{"helm 4", "helm 3", "kubectl apply", "kubectl apply --server-side"} {
		t.Run(how, func(t *testing.T) {
			ns := namespace(t)
			modes := installGuard(t, how, ns)
			kubectl(t, "wait", "deployment", "--all", "-n", ns, "--timeout=60s",
				`--for=jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}`)
			runAsControllers(t, ns)
			for mode, args := range modes {
				got, spared, r := verdicts(t, ns, args...)
				if d := drifts(got); len(d) > 0 || r.code != cli.ExitInSync {
					t.Errorf("%s: untouched install: exit %d, want %d; found\n  %s\n%v", mode, r.code, cli.ExitInSync, strings.Join(d, "\n  "), r)
				}
				for obj, want := range map[string]string{
					"ValidatingWebhookConfiguration/" + ns + "-guard": "/webhooks/0/clientConfig/caBundle (preset webhook-ca-bundle)",
					"Deployment/guard-api":                            "/spec/replicas (preset autoscaled-replicas (HorizontalPodAutoscaler " + ns + "/guard-api))",
				} {
					if !slices.Contains(spared[obj], want) {
						t.Errorf("%s: %s spared %q, want %q among them", mode, obj, spared[obj], want)
					}
				}
			}
			// Without the presets, what the controllers wrote is drift.
			for mode, args := range modes {
				got, _, _ := verdicts(t, ns, append(args, "--no-presets")...)
				if v := got["Deployment/guard-api"]; v != "Drifted /spec/replicas" {
					t.Errorf("%s --no-presets: the autoscaled Deployment is %q, want drifted replicas", mode, v)
				}
			}

			// Three changes by hand, and nothing else: the DaemonSet's
			// image alone, not the template generation its dry run bumps.
			kubectl(t, "scale", "deployment/guard-worker", "--replicas=4", "-n", ns)
			kubectl(t, "set", "image", "daemonset/guard-agent", "agent=registry.example.com/guard-agent:1.1", "-n", ns)
			kubectl(t, "patch", "configmap", "guard-rules", "-n", ns, "--type=merge", "-p", `{"data":{"rules.yaml":"deny: all\n"}}`)
			want := []string{
				"ConfigMap/guard-rules Drifted /data/rules.yaml",
				"DaemonSet/guard-agent Drifted /spec/template/spec/containers/0/image",
				"Deployment/guard-worker Drifted /spec/replicas",
			}
			for mode, args := range modes {
				got, _, r := verdicts(t, ns, args...)
				if d := drifts(got); !slices.Equal(d, want) || r.code != cli.ExitDrift {
					t.Errorf("%s: after three changes by hand: exit %d, want %d; found\n  %s\nwant\n  %s\n%v",
						mode, r.code, cli.ExitDrift, strings.Join(d, "\n  "), strings.Join(want, "\n  "), r)
				}
			}
			if how == "helm 4" || how == "helm 3" {
				assertHelmFights(t, how, ns)
			}
		})
	}
}

// assertHelmFights checks that what the report says the next helm upgrade
// does to the changes made by hand is what the real Helm then does: Helm 3
// writes its own version back, Helm 4, applying server-side without force,
// fails with a conflict.
func assertHelmFights(t *testing.T, how, ns string) {
	t.Helper()
	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-n", ns, "--release", "guard")
	h, says := testcluster.Helm3, "the next helm upgrade writes its own version back"
	if how == "helm 4" {
		h, says = testcluster.Helm4, "the next helm upgrade fails with a conflict over the fields changed by hand"
	}
	assertContains(t, r, "managed by Helm release "+ns+"/guard: "+says)
	if strings.Contains(r.stdout, "[conflict with helm]") {
		t.Errorf("a field the reconcile applies as helm is said to conflict with helm:\n%v", r)
	}
	out, err := cluster.Helm(t.Context(), h, testcluster.AdminUser, "upgrade", "guard", guardChart, "-n", ns)
	switch {
	case how == "helm 4" && (err == nil || !strings.Contains(string(out), "conflict")):
		t.Errorf("helm upgrade after changes by hand: %v, want a conflict\n%s", err, out)
	case how == "helm 3" && err != nil:
		t.Errorf("helm3 upgrade after changes by hand: %v\n%s", err, out)
	}
}

// TestMissingServiceDiff: the diff of a Service that is not in the cluster
// shows what the manifest would create, without the placeholder cluster IP
// and node port the server's dry run of a create answers with.
func TestMissingServiceDiff(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"svc.yaml": `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: NAMESPACE
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80}]
`})
	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r, "missing   Service "+ns+"/web", "+  type: NodePort")
	for _, placeholder := range []string{"clusterIP", "nodePort"} {
		if strings.Contains(r.stdout, placeholder) {
			t.Errorf("the diff of a missing Service shows the dry run's %s:\n%v", placeholder, r)
		}
	}
}

// TestMergeRefusedIsDrift: a Service port changed by hand, so that the
// manifest's port merged beside it collides by name, is drift of the port
// with the server's reason, not an error of the check; offline mode, which
// asks no server, finds the same reason in the merge.
func TestMergeRefusedIsDrift(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"svc.yaml": `apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: NAMESPACE
spec:
  selector: {app: api}
  ports:
    - {name: http, port: 80, targetPort: 8080}
    - {name: metrics, port: 9090}
`})
	kubectl(t, "apply", "--server-side", "-f", dir)
	kubectl(t, "patch", "service", "api", "-n", ns, "--type=json", "-p", `[{"op":"replace","path":"/spec/ports/0/port","value":8000}]`)
	// The server's answer, and offline mode's own check of the merge.
	for _, mode := range []string{"auto", "offline"} {
		r := kubedrift(t, testcluster.AdminUser, ns, "--check", "--mode", mode, "-f", dir)
		assertCode(t, r, cli.ExitDrift)
		assertContains(t, r, "drifted   Service "+ns+"/api", "the server would refuse this apply: ", `spec.ports[1].name: Duplicate value: "http"`)
	}
}
