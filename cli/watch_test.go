package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// These tests run kubedrift watch in the test's process against the real
// cluster, change the cluster under it, and read what it logs and serves.

// waitTimeout bounds the wait for something watch is to do in reaction to
// a change: it reacts within a second or two, but the machine may be busy.
const waitTimeout = 30 * time.Second

// syncBuffer is an output that a running command writes while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// watchRun is kubedrift watch running in the test's process.
type watchRun struct {
	t              *testing.T
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	killProcess    func() // a watch process's SIGKILL
	done           chan int
	code           int
	stopped        bool
}

// startWatch starts kubedrift watch args as user, with ns as the
// kubeconfig's default namespace; it runs until stop or the end of the
// test.
func startWatch(t *testing.T, user, ns string, args ...string) *watchRun {
	t.Helper()
	kc, err := cluster.Kubeconfig(user, ns)
	if err != nil {
		t.Fatal(err)
	}
	return startWatchWithKubeconfig(t, kc, args...)
}

// startWatchWithKubeconfig starts kubedrift watch args with the given
// kubeconfig content.
func startWatchWithKubeconfig(t *testing.T, kc []byte, args ...string) *watchRun {
	t.Helper()
	w, args := newWatchRun(t, kc, args)
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: w.stdout, ErrOut: w.stderr}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() { w.done <- cli.Main(ctx, "kubedrift", args, streams) }()
	t.Cleanup(func() { w.stop() })
	return w
}

// newWatchRun returns a watchRun not yet started, and the command line of
// kubedrift watch args with the kubeconfig content kc, written to a file of
// the test's, and a discovery cache of its own.
func newWatchRun(t *testing.T, kc []byte, args []string) (*watchRun, []string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	w := &watchRun{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan int, 1)}
	return w, append([]string{"watch", "--kubeconfig", path, "--cache-dir", filepath.Join(dir, "cache")}, args...)
}

// stop ends watch as SIGTERM does and returns its exit code.
func (w *watchRun) stop() int {
	if !w.stopped {
		w.stopped = true
		w.cancel()
		select {
		case w.code = <-w.done:
		case <-time.After(waitTimeout):
			w.t.Fatalf("watch did not stop within %s of being told to\n%s", waitTimeout, w)
		}
	}
	return w.code
}

func (w *watchRun) String() string {
	return "--- stdout\n" + w.stdout.String() + "--- stderr\n" + w.stderr.String()
}

// waitFor waits until a line of the output matches pattern, and returns
// the line's submatches.
func (w *watchRun) waitFor(pattern string) []string {
	w.t.Helper()
	return w.waitForNth(pattern, 1)
}

// waitForNth waits until n lines of the output match pattern, and returns
// the nth line's submatches.
func (w *watchRun) waitForNth(pattern string, n int) []string {
	w.t.Helper()
	return w.waitUntil(time.Now().Add(waitTimeout), pattern, n)
}

// waitWithin waits until a line of the output matches pattern, no later
// than deadline, and returns the line's submatches.
func (w *watchRun) waitWithin(deadline time.Time, pattern string) []string {
	w.t.Helper()
	return w.waitUntil(deadline, pattern, 1)
}

func (w *watchRun) waitUntil(deadline time.Time, pattern string, n int) []string {
	w.t.Helper()
	re := regexp.MustCompile("(?m)" + pattern)
	for {
		if m := re.FindAllStringSubmatch(w.stdout.String(), n); len(m) == n {
			return m[n-1]
		}
		select {
		case code := <-w.done:
			w.stopped, w.code = true, code
			w.t.Fatalf("watch ended (exit %d) before %d lines of its output matched %s\n%s", code, n, pattern, w)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%d lines of the output did not match %s by %s\n%s", n, pattern, deadline.Format(time.TimeOnly), w)
		}
	}
}

// metricsAddr waits until watch says where it serves its metrics.
func (w *watchRun) metricsAddr() string {
	w.t.Helper()
	return w.waitFor(`serving metrics on (\S+) `)[1]
}

// waitMetrics waits until the samples at addr have the values want holds,
// by their names with labels as Prometheus' text format writes them:
// `kubedrift_objects{status="drifted"}`.
func (w *watchRun) waitMetrics(addr string, want map[string]float64) {
	w.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		got := scrape(w.t, addr)
		ok := true
		for name, v := range want {
			if got[name] != v {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("metrics at %s are %v, want %v\n%s", addr, got, want, w)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scrape reads the kubedrift_ samples that addr serves on /metrics.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	body := get(t, "http://"+addr+"/metrics")
	samples := map[string]float64{}
	for line := range strings.Lines(body) {
		name, value, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || !strings.HasPrefix(name, "kubedrift_") {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		samples[name] = v
	}
	return samples
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
	}
	return string(body)
}

// TestWatchDrift starts watch on an application in sync, scales its
// Deployment and scales it back: each change of verdict is a line of the
// log within seconds, and the metrics follow.
func TestWatchDrift(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply")

	w := startWatch(t, testcluster.AdminUser, ns, "-f", dir, "--metrics-addr", "127.0.0.1:0")
	addr := w.metricsAddr()
	w.waitFor(`  checked    4 objects: 4 in sync, 0 drifted, 0 missing, 0 errors$`)
	w.waitMetrics(addr, map[string]float64{
		`kubedrift_objects{status="in_sync"}`: 4, `kubedrift_objects{status="drifted"}`: 0, "kubedrift_drift_events_total": 0,
	})
	if strings.Count(w.stdout.String(), "\n") != 2 {
		t.Errorf("watch logged objects in sync at its start; it logs only what needs attention\n%s", w)
	}
	if ts := scrape(t, addr)["kubedrift_last_check_timestamp_seconds"]; time.Since(time.Unix(int64(ts), 0)) > time.Minute {
		t.Errorf("kubedrift_last_check_timestamp_seconds is %v, not the time of the check", ts)
	}
	if body := get(t, "http://"+addr+"/healthz"); body != "ok\n" {
		t.Errorf("/healthz says %q", body)
	}

	origin := regexp.QuoteMeta(filepath.Join(dir, "app.yaml")) + `:1`
	kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)
	w.waitFor(`Z  drifted    Deployment\.apps ` + ns + `/web  ` + origin + `  \(was in sync\)  spec\.replicas: 5 -> 3 \(live value by kubectl`)
	w.waitMetrics(addr, map[string]float64{
		`kubedrift_objects{status="in_sync"}`: 3, `kubedrift_objects{status="drifted"}`: 1, "kubedrift_drift_events_total": 1,
	})

	kubectl(t, "scale", "deployment/web", "--replicas=3", "-n", ns)
	w.waitFor(`Z  in sync    Deployment\.apps ` + ns + `/web  ` + origin + `  \(was drifted\)$`)
	w.waitMetrics(addr, map[string]float64{
		`kubedrift_objects{status="in_sync"}`: 4, `kubedrift_objects{status="drifted"}`: 0, "kubedrift_drift_events_total": 1,
	})

	if code := w.stop(); code != cli.ExitInSync {
		t.Errorf("watch exited %d when told to stop, want 0\n%s", code, w)
	}
	if !strings.HasSuffix(w.stdout.String(), "  info       stopped\n") {
		t.Errorf("watch did not say it stopped\n%s", w)
	}
	// The Deployment controller wrote the Deployment's status many times
	// meanwhile; none of it is a change of verdict.
	if n := strings.Count(w.stdout.String(), "Deployment.apps "+ns+"/web"); n != 2 {
		t.Errorf("%d lines about the Deployment, want 2 (drifted, in sync)\n%s", n, w)
	}
}

// TestWatchJSONLines: with -o json, every line is a JSON object, and a
// verdict carries what the JSON report has on the object.
func TestWatchJSONLines(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply")
	kubectl(t, "delete", "configmap/settings", "-n", ns)

	w := startWatch(t, testcluster.AdminUser, ns, "-f", dir, "-o", "json")
	w.waitFor(`"event":"check"`)
	kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)
	w.waitFor(`"event":"verdict","previousStatus":"InSync",.*"object":"Deployment\.apps ` + ns + `/web","status":"Drifted"`)
	w.stop()

	type event struct {
		Time, Event, Message, PreviousStatus, Object, Status string
		Summary                                              map[string]int
		Origin                                               struct{ File string }
		Changes                                              []struct {
			Path          string
			Live, Desired any
		}
	}
	var events []event
	lines := bufio.NewScanner(strings.NewReader(w.stdout.String()))
	for lines.Scan() {
		var e event
		if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
			t.Fatalf("a line is not JSON: %v\n%s", err, lines.Text())
		}
		if _, err := time.Parse(time.RFC3339, e.Time); err != nil || e.Event == "" {
			t.Errorf("a line without its time or event: %s", lines.Text())
		}
		events = append(events, e)
	}
	if len(events) != 4 {
		t.Fatalf("%d lines, want 4: missing, check, drifted, stopped\n%s", len(events), w)
	}
	missing, check, drifted := events[0], events[1], events[2]
	if missing.Event != "verdict" || missing.Status != "Missing" || missing.Object != "ConfigMap "+ns+"/settings" ||
		missing.PreviousStatus != "" || missing.Origin.File != filepath.Join(dir, "app.yaml") {
		t.Errorf("first line: %+v, want the missing ConfigMap with its origin and no previous status", missing)
	}
	if check.Event != "check" || check.Summary["total"] != 4 || check.Summary["missing"] != 1 || check.Message != "4 objects: 3 in sync, 0 drifted, 1 missing, 0 errors" {
		t.Errorf("second line: %+v, want the check's summary", check)
	}
	if len(drifted.Changes) != 1 || drifted.Changes[0].Path != "spec.replicas" || drifted.Changes[0].Live != 5.0 || drifted.Changes[0].Desired != 3.0 {
		t.Errorf("the drifted Deployment's changes: %+v, want spec.replicas 5 -> 3", drifted.Changes)
	}
	if stopped := events[3]; stopped.Event != "info" || stopped.Message != "stopped" {
		t.Errorf("last line: %+v, want that watch stopped", stopped)
	}
}

// TestWatchWritesNothing proves from the audit log that watch sends no
// write, while someone else changes and deletes what it watches.
func TestWatchWritesNothing(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply")
	// The changes are made as another user, so that the audit log tells
	// them from watch's requests.
	kubectl(t, "create", "rolebinding", "edit", "--clusterrole=edit", "--user="+testcluster.UnboundUser, "-n", ns)
	asEditor := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if out, err := cluster.Kubectl(ctx, testcluster.UnboundUser, append(args, "-n", ns)...); err != nil {
			t.Fatalf("kubectl %s: %v\n%s", args, err, out)
		}
	}
	before := auditLength(t)

	w := startWatch(t, testcluster.AdminUser, ns, "-f", dir, "--mode", "server")
	w.waitFor(`  checked    4 objects: 4 in sync`)
	asEditor("scale", "deployment/web", "--replicas=5")
	asEditor("delete", "configmap/settings")
	w.waitFor(`  drifted    Deployment\.apps ` + ns + `/web  `)
	w.waitFor(`  missing    ConfigMap ` + ns + `/settings  `)
	w.stop()

	if writes := writesIn(t, before, testcluster.AdminUser, ns); len(writes) > 0 {
		t.Errorf("watch wrote to the cluster:\n%s", strings.Join(writes, "\n"))
	}
}

// TestWatchSurvivesLostCluster: the cluster goes away under watch and comes
// back, as in a restart. Watch says it lost the cluster and runs on, judges
// everything again once the cluster is back, and its watches work again.
func TestWatchSurvivesLostCluster(t *testing.T) {
	ns, dir, p, kc := appBehindProxy(t)
	w := startWatchWithKubeconfig(t, kc, "-f", dir)
	const inSync = `  checked    4 objects: 4 in sync, 0 drifted, 0 missing, 0 errors$`
	w.waitFor(inSync)

	p.Down()
	w.waitFor(`  error      lost the cluster \(kubedrift reconnects by itself\)`)
	time.Sleep(2 * time.Second) // down a while, as a restart takes
	p.Up()
	w.waitFor(`  info       the cluster answers again: judging everything again$`)
	w.waitForNth(inSync, 2)

	kubectl(t, "scale", "deployment/web", "--replicas=6", "-n", ns)
	w.waitFor(`  drifted    Deployment\.apps ` + ns + `/web  .*spec\.replicas: 6 -> 3`)
	if code := w.stop(); code != cli.ExitInSync {
		t.Errorf("watch exited %d, want 0\n%s", code, w)
	}
}

// TestWatchAutoReconcile: of two drifted Deployments, --auto-reconcile
// puts back the one the selector picks, and leaves the other; it leaves
// one that Flux keeps too, and creates a missing ConfigMap. A field that
// kubectl scale took is a conflict, and taken back only with
// --force-conflicts; an operator's only with --take-from.
func TestWatchAutoReconcile(t *testing.T) {
	ns := namespace(t)
	deployment := func(name, labels string) string {
		return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
  namespace: NAMESPACE
  labels: {` + labels + `}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ` + name + `}
  template:
    metadata:
      labels: {app: ` + name + `}
    spec:
      containers:
        - name: web
          image: nginx:1.27.3
`
	}
	dir := manifests(t, ns, map[string]string{
		"picked.yaml": deployment("picked", "reconcile: auto"),
		"left.yaml":   deployment("left", "tier: web"),
		"flux.yaml":   deployment("flux", "reconcile: auto, kustomize.toolkit.fluxcd.io/name: apps, kustomize.toolkit.fluxcd.io/namespace: flux-system"),
		"settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: NAMESPACE, labels: {reconcile: auto}}
data: {log-level: info}
`,
	})
	deploy(t, ns, dir, "apply")
	for _, name := range []string{"picked", "left", "flux"} {
		kubectl(t, "scale", "deployment/"+name, "--replicas=5", "-n", ns)
	}
	kubectl(t, "delete", "configmap/settings", "-n", ns)
	logFile := filepath.Join(t.TempDir(), "writes.log")
	replicas := func(name string) string {
		t.Helper()
		return kubectl(t, "get", "deployment/"+name, "-n", ns, "-o", "jsonpath={.spec.replicas}")
	}

	// Without --force-conflicts: the ConfigMap is created; the scaled
	// replicas are a conflict, refused at the dry run.
	before := auditLength(t)
	w := startWatch(t, testcluster.AdminUser, ns, "-f", dir, "--auto-reconcile", "-l", "reconcile=auto",
		"--log-file", logFile, "--metrics-addr", "127.0.0.1:0")
	addr := w.metricsAddr()
	w.waitFor(`  created    ConfigMap ` + ns + `/settings \(as kubedrift\), now in sync$`)
	w.waitFor(`  conflict   Deployment\.apps ` + ns + `/picked: spec\.replicas is owned by kubectl \(scale, .*--force-conflicts takes it$`)
	w.waitFor(`  skipped    Deployment\.apps ` + ns + `/flux: managed by Flux Kustomization flux-system/apps, which would fight the change`)
	w.waitFor(`  in sync    ConfigMap ` + ns + `/settings  .*\(was missing\)$`)
	w.waitMetrics(addr, map[string]float64{
		`kubedrift_reconciles_total{result="applied"}`: 1, `kubedrift_reconciles_total{result="skipped"}`: 1,
	})
	if failed := scrape(t, addr)[`kubedrift_reconciles_total{result="failed"}`]; failed < 1 {
		t.Errorf("the conflict is not counted as a failed reconcile: %v", failed)
	}
	w.stop()
	writes := writesIn(t, before, testcluster.AdminUser, ns)
	if len(writes) != 1 || !strings.Contains(writes[0], "/configmaps/settings") {
		t.Errorf("writes %q, want only the ConfigMap's creation", writes)
	}
	if got := replicas("picked"); got != "5" {
		t.Errorf("a conflict refused at the dry run still changed replicas to %s", got)
	}

	// With --force-conflicts what a person scaled in the picked Deployment
	// is taken back, and said; the other two stay as they are.
	w = startWatch(t, testcluster.AdminUser, ns, "-f", dir, "--auto-reconcile", "-l", "reconcile=auto", "--force-conflicts",
		"--log-file", logFile)
	w.waitFor(`  applied    Deployment\.apps ` + ns + `/picked \(as \S+\), now in sync; took back spec\.replicas from kubectl \(scale`)
	w.waitFor(`  in sync    Deployment\.apps ` + ns + `/picked  .*\(was drifted\)$`)
	w.stop()
	if got := replicas("picked"); got != "2" {
		t.Errorf("picked has %s replicas after its reconcile, want the manifest's 2", got)
	}
	for _, name := range []string{"left", "flux"} {
		if got := replicas(name); got != "5" {
			t.Errorf("%s has %s replicas, want the 5 it was scaled to: it is not watch's to reconcile", name, got)
		}
	}
	if regexp.MustCompile(`(applied|failed|conflict|skipped) +Deployment\.apps ` + ns + `/left`).MatchString(w.stdout.String()) {
		t.Errorf("watch tried to reconcile a Deployment the selector does not pick\n%s", w)
	}

	// A controller's field is not taken, even with --force-conflicts,
	// unless --take-from names its manager.
	kubectl(t, "patch", "deployment/picked", "-n", ns, "--type=json", "--field-manager=shop-operator",
		"-p", `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.28.0"}]`)
	w = startWatch(t, testcluster.AdminUser, ns, "-f", dir, "--auto-reconcile", "-l", "reconcile=auto", "--force-conflicts",
		"--log-file", logFile)
	w.waitFor(`  conflict   Deployment\.apps ` + ns + `/picked: .*image is owned by "shop-operator", not a tool people change objects with; watch takes no field from a controller that --take-from does not name`)
	w.stop()
	w = startWatch(t, testcluster.AdminUser, ns, "-f", dir, "--auto-reconcile", "-l", "reconcile=auto", "--take-from", "shop-*",
		"--log-file", logFile)
	w.waitFor(`  applied    Deployment\.apps ` + ns + `/picked \(as \S+\), now in sync; took back .*image from "shop-operator"`)
	w.stop()

	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"object":"ConfigMap ` + ns + `/settings","action":"create","fieldManager":"kubedrift","result":"ok"`,
		`"object":"Deployment.apps ` + ns + `/picked","action":"apply","fieldManager":"kubedrift","result":"dry run: Apply failed with 1 conflict`,
		`"object":"Deployment.apps ` + ns + `/picked","action":"apply","fieldManager":"kubedrift","result":"ok"`,
	} {
		if !strings.Contains(string(log), want) {
			t.Errorf("the write log has no %s\n%s", want, log)
		}
	}
}

func TestWatchBadStart(t *testing.T) {
	dir := manifests(t, "default", map[string]string{"bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n"})
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"auto-reconcile without a selector", []string{"--auto-reconcile", "-f", dir},
			"error: --auto-reconcile needs -l/--selector: only objects whose labels match it are reconciled"},
		{"force without auto-reconcile", []string{"--force-conflicts", "-l", "a=b", "-f", dir},
			"error: --force-conflicts goes with --auto-reconcile"},
		{"standard input", []string{"-f", "-"},
			"error: watch reads its manifests again at every --resync, and standard input only once"},
		{"no such output", []string{"-o", "junit", "-f", dir},
			`error: --output must be text or json, not "junit"`},
		{"malformed manifest", []string{"-f", dir},
			"error: the desired state cannot be read:\n" + filepath.Join(dir, "bad.yaml") + ":3"},
		{"no such file", []string{"-f", filepath.Join(dir, "nothing.yaml")},
			filepath.Join(dir, "nothing.yaml") + ": no such file or directory"},
		{"bad metrics address", []string{"--metrics-addr", "not-an-address", "-f", dir},
			"error: --metrics-addr: listen tcp: address not-an-address: missing port in address"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := kubedrift(t, testcluster.AdminUser, "default", append([]string{"watch"}, tt.args...)...)
			assertCode(t, r, cli.ExitError)
			assertContains(t, r, tt.want)
		})
	}
}

// TestWatchLeaderElection: two replicas of watch --auto-reconcile
// --leader-elect share a Lease: one leads and reconciles, the other judges
// and writes nothing; stopped, the leader gives the Lease up and the other
// takes it and reconciles the next drift.
func TestWatchLeaderElection(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{
		"picked.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: picked, namespace: NAMESPACE, labels: {reconcile: auto}}
spec:
  replicas: 2
  selector: {matchLabels: {app: picked}}
  template:
    metadata: {labels: {app: picked}}
    spec: {containers: [{name: web, image: "nginx:1.27.3"}]}
`,
		"settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: NAMESPACE, labels: {reconcile: auto}}
data: {log-level: info}
`,
	})
	deploy(t, ns, dir, "apply")
	args := []string{"-f", dir, "--auto-reconcile", "-l", "reconcile=auto", "--force-conflicts", "--leader-elect", "--leader-elect-namespace", ns}
	lease := `\(Lease ` + ns + `/kubedrift`
	a := startWatch(t, testcluster.AdminUser, ns, args...)
	a.waitFor(`leading ` + lease + `, as \S+\): this replica reconciles`)
	b := startWatch(t, testcluster.AdminUser, ns, args...)
	b.waitFor(`leads ` + lease + `\): this replica judges, and does not reconcile`)
	a.waitFor(`  checked    2 objects: 2 in sync`)
	b.waitFor(`  checked    2 objects: 2 in sync`)

	kubectl(t, "delete", "configmap/settings", "-n", ns)
	a.waitFor(`  created    ConfigMap ` + ns + `/settings \(as kubedrift\), now in sync$`)
	b.waitFor(`  in sync    ConfigMap ` + ns + `/settings  .*\(was missing\)$`)
	if strings.Contains(b.stdout.String(), "created    ConfigMap") {
		t.Errorf("the replica that does not lead reconciled:\n%s", b)
	}

	if code := a.stop(); code != 0 {
		t.Errorf("the leader exited %d when stopped, want 0\n%s", code, a)
	}
	b.waitFor(`leading ` + lease + `, as \S+\): this replica reconciles`)
	kubectl(t, "scale", "deployment/picked", "--replicas=5", "-n", ns)
	b.waitFor(`  applied    Deployment\.apps ` + ns + `/picked \(as \S+\), now in sync; took back spec\.replicas`)
}
