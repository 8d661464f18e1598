package cli_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// peoplesApp is what people change by hand in TestApplyRevertsWhatPeopleChanged:
// a Deployment with a request the server stores otherwise ("0.5" as 500m),
// ConfigMaps, and a Service.
const peoplesApp = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: NAMESPACE
  labels: {tier: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27.3
          env: [{name: MODE, value: quiet}]
          resources:
            requests: {cpu: "0.5", memory: 64Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: NAMESPACE
  labels: {tier: frontend}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: NAMESPACE
data:
  log-level: info
  color: blue
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: limits
  namespace: NAMESPACE
data:
  max: "10"
  min: "1"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: seeds
  namespace: NAMESPACE
data:
  a: "1"
`

// TestApplyRevertsWhatPeopleChanged changes objects applied client-side and
// server-side by hand, every way kubectl changes them, and asks kubedrift
// --apply, without --force-conflicts, to put them back: afterwards
// kubedrift --check and kubectl diff (as the objects were applied) find
// nothing.
func TestApplyRevertsWhatPeopleChanged(t *testing.T) {
	for _, method := range []applyMethod{clientSideApply, serverSideApply} {
		t.Run(method.String(), func(t *testing.T) {
			t.Parallel()
			ns := namespace(t)
			dir := manifests(t, ns, map[string]string{"app.yaml": peoplesApp})
			deploy(t, ns, dir, append(method.args(), "-n", ns)...)

			kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)
			kubectl(t, "set", "image", "deployment/web", "web=nginx:1.28.0", "-n", ns)
			kubectl(t, "patch", "deployment/web", "-n", ns, "-p",
				`{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"MODE","value":"debug"}]}]}}}}`)
			kubectlEditWith(t, `sed -i s/log-level:\ info/log-level:\ debug/`, "configmap/settings", "-n", ns)
			kubectl(t, "label", "service/web", "tier=backend", "--overwrite", "-n", ns)
			kubectl(t, "patch", "configmap/limits", "-n", ns, "--type=json", "-p", `[{"op":"remove","path":"/data/min"}]`)
			kubectl(t, "delete", "configmap/seeds", "-n", ns)

			r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
			assertCode(t, r, cli.ExitDrift)
			assertContains(t, r,
				"drifted   Deployment.apps "+ns+"/web", "drifted   Service "+ns+"/web",
				"drifted   ConfigMap "+ns+"/settings", "drifted   ConfigMap "+ns+"/limits",
				"missing   ConfigMap "+ns+"/seeds")

			r = kubedrift(t, testcluster.AdminUser, ns, "--apply", "--log-file", t.TempDir()+"/log", "-f", dir)
			assertCode(t, r, cli.ExitInSync)
			assertContains(t, r,
				"took back spec.replicas from kubectl",
				`spec.template.spec.containers[name="web"].image from kubectl set`,
				`spec.template.spec.containers[name="web"].env[name="MODE"].value from kubectl patch`,
				`data.log-level from kubectl edit`,
				`metadata.labels.tier from kubectl label`,
				"created    ConfigMap "+ns+"/seeds",
				"5 reconciled, 0 not")

			for _, mode := range []string{"--mode=server", "--mode=offline"} {
				r = kubedrift(t, testcluster.AdminUser, ns, "--check", mode, "-f", dir)
				assertCode(t, r, cli.ExitInSync)
			}
			diff := []string{"diff", "-n", ns, "-f", dir}
			if method == serverSideApply {
				diff = append(diff, "--server-side")
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if d := newKubectlRunner(t).diff(ctx, diff...); d.verdict() != "no diff" {
				t.Errorf("kubectl %s after --apply: %s\n%s", strings.Join(diff, " "), d.verdict(), d.out)
			}
		})
	}
}

// kubectlEditWith runs kubectl edit with editor, a shell command that is
// given the file to change, as a person's editor would be.
func kubectlEditWith(t *testing.T, editor string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := newKubectlRunner(t).command(ctx, append([]string{"edit"}, args...)...)
	cmd.Env = append(os.Environ(), "KUBE_EDITOR="+editor)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kubectl edit %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// autoscaledApp is a Deployment whose replicas its HorizontalPodAutoscaler
// sets: to its minimum, 3, at once, since the manifest says 1.
const autoscaledApp = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: NAMESPACE
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: nginx:1.27.3
          resources:
            requests: {cpu: 100m}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: api
  namespace: NAMESPACE
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 3
  maxReplicas: 4
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`

// TestApplyLeavesControllersFields has the real HPA controller own a
// Deployment's replicas (its minimum above the manifest's), and a person set
// its image. The autoscaled-replicas preset leaves the replicas out of the
// comparison, and --apply leaves them as they are: it puts the image back,
// and takes nothing from the controller. Without the preset, --apply does
// not take the controller's field unasked: it names it, says what to do
// instead, and writes nothing.
func TestApplyLeavesControllersFields(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": autoscaledApp})
	deploy(t, ns, dir, "apply", "-n", ns)
	kubectl(t, "wait", "deployment/api", "-n", ns, "--timeout=90s", "--for=jsonpath={.spec.replicas}=3")
	replicasAndImage := func() string {
		return kubectl(t, "get", "deployment/api", "-n", ns, "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}")
	}
	logFile := t.TempDir() + "/log"

	kubectl(t, "set", "image", "deployment/api", "api=nginx:1.28.0", "-n", ns)
	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r, "drifted   Deployment.apps "+ns+"/api", "spared /spec/replicas: preset autoscaled-replicas")
	r = kubedrift(t, testcluster.AdminUser, ns, "--apply", "--log-file", logFile, "-f", dir)
	assertCode(t, r, cli.ExitInSync)
	assertContains(t, r,
		"applied    Deployment.apps "+ns+"/api (as kubedrift), now in sync",
		`took back spec.template.spec.containers[name="api"].image from kubectl set`,
		"left /spec/replicas as it was (not compared)")
	if got := replicasAndImage(); got != "3 nginx:1.27.3" {
		t.Errorf("after --apply the Deployment's replicas and image are %s, want the autoscaler's 3 and the manifest's image", got)
	}

	kubectl(t, "set", "image", "deployment/api", "api=nginx:1.28.0", "-n", ns)
	r = kubedrift(t, testcluster.AdminUser, ns, "--apply", "--no-presets", "--log-file", logFile, "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	assertContains(t, r,
		"conflict   Deployment.apps "+ns+"/api: ",
		`spec.replicas is owned by "kube-controller-manager", not a tool people change objects with`,
		"remove it from the manifest or leave it out of the comparison (an ignore rule: kubedrift ignore; or a preset that covers it",
		"0 reconciled, 1 not")
	if got := replicasAndImage(); got != "3 nginx:1.28.0" {
		t.Errorf("a refused apply changed the Deployment: replicas and image are %s", got)
	}
}

// TestApplyRefusedNamesTheReason: a reconcile the API server refuses (the
// apply would merge a Service's ports into two named alike) is reported with
// the object, the field and the server's reason, and the other objects of
// the run are still reconciled.
func TestApplyRefusedNamesTheReason(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": `apiVersion: v1
kind: Service
metadata: {name: api, namespace: NAMESPACE}
spec:
  selector: {app: api}
  ports:
    - {name: http, port: 80, targetPort: 8080}
    - {name: metrics, port: 9090}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: NAMESPACE}
data: {log-level: info}
`})
	kubectl(t, "apply", "--server-side", "-f", dir)
	kubectl(t, "patch", "service", "api", "-n", ns, "--type=json", "-p", `[{"op":"replace","path":"/spec/ports/0/port","value":8000}]`)
	kubectl(t, "patch", "configmap", "settings", "-n", ns, "--type=merge", "-p", `{"data":{"log-level":"debug"}}`)

	r := kubedrift(t, testcluster.AdminUser, ns, "--apply", "--log-file", t.TempDir()+"/log", "-f", dir)
	assertCode(t, r, cli.ExitDrift)
	if n := strings.Count(r.stdout, "the server would refuse this apply"); n != 1 {
		t.Errorf("the check says %d times that the server would refuse the Service's apply, want once\n%v", n, r)
	}
	assertContains(t, r,
		"failed     Service "+ns+`/api: `, `spec.ports[1].name: Duplicate value: "http"`,
		"applied    ConfigMap "+ns+"/settings (as kubedrift), now in sync; took back data.log-level from kubectl patch",
		"1 reconciled, 1 not")
}
