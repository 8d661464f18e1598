package cli_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// takeoverWithin is how soon after its leader is killed another replica of
// watch --leader-elect must reconcile: the Lease's 15 s, and a retry.
const takeoverWithin = 20 * time.Second

// TestWatchLeaderKilled runs two kubedrift watch --leader-elect
// --auto-reconcile processes, kills the one that holds the Lease with
// SIGKILL (no chance to give the Lease up), deletes an object, and sees the
// other take the Lease and create it again within takeoverWithin; the
// audit log shows that the object was created once.
func TestWatchLeaderKilled(t *testing.T) {
	t.Parallel()
	binary := filepath.Join(t.TempDir(), "kubedrift")
	// Bounded by go test's -timeout: the build is cold after a change to
	// go.mod or on a new machine.
	if err := testcluster.BuildKubedrift(t.Context(), binary); err != nil {
		t.Fatal(err)
	}
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"settings.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: NAMESPACE, labels: {reconcile: auto}}
data: {log-level: info}
`})
	kubectl(t, "apply", "-f", dir)
	kc, err := cluster.Kubeconfig(testcluster.AdminUser, ns)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-f", dir, "--auto-reconcile", "-l", "reconcile=auto", "--leader-elect", "--leader-elect-namespace", ns}
	replicas := map[string]*watchRun{}
	for range 2 {
		w := startWatchProcess(t, binary, kc, args...)
		replicas[w.waitFor(`campaigning for the Lease \S+ as (\S+)$`)[1]] = w
	}
	lease := `\(Lease ` + ns + `/kubedrift`
	var leader, other *watchRun
	for deadline := time.Now().Add(waitTimeout); leader == nil; time.Sleep(50 * time.Millisecond) {
		for id, w := range replicas {
			if strings.Contains(w.stdout.String(), "leading (Lease "+ns+"/kubedrift") {
				leader = w
				delete(replicas, id)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("neither replica leads within %s", waitTimeout)
		}
	}
	for _, w := range replicas {
		other = w
	}
	holder := kubectl(t, "get", "lease/kubedrift", "-n", ns, "-o", "jsonpath={.spec.holderIdentity}")
	if id := leader.waitFor(`campaigning for the Lease \S+ as (\S+)$`)[1]; holder != id {
		t.Fatalf("the Lease is held by %q, not by %q, the replica that says it leads", holder, id)
	}
	other.waitFor(holder + ` leads ` + lease + `\): this replica judges, and does not reconcile`)
	other.waitFor(`  checked    1 object: 1 in sync`)

	leader.kill()
	killed := time.Now()
	before := auditLength(t)
	kubectl(t, "delete", "configmap/settings", "-n", ns)
	other.waitWithin(killed.Add(takeoverWithin), `  created    ConfigMap `+ns+`/settings \(as kubedrift\), now in sync$`)
	t.Logf("the other replica reconciled %s after the leader was killed", time.Since(killed).Round(time.Second))
	other.waitFor(`leading ` + lease + `, as \S+\): this replica reconciles`)

	var applies []string
	for _, w := range writesIn(t, before, testcluster.AdminUser, ns) {
		if strings.Contains(w, "/configmaps/settings") && !strings.HasPrefix(w, "delete ") {
			applies = append(applies, w)
		}
	}
	if len(applies) != 1 {
		t.Errorf("the deleted ConfigMap was written %d times, want once: %q", len(applies), applies)
	}
	if code := other.stop(); code != 0 {
		t.Errorf("the new leader exited %d on SIGTERM, want 0\n%s", code, other)
	}
}

// startWatchProcess runs binary watch args as a process of its own, with
// the given kubeconfig content; it runs until stop, kill or the end of the
// test.
func startWatchProcess(t *testing.T, binary string, kubeconfig []byte, args ...string) *watchRun {
	t.Helper()
	w, args := newWatchRun(t, kubeconfig, args)
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = w.stdout, w.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		w.done <- cmd.ProcessState.ExitCode()
	}()
	w.cancel = func() { _ = cmd.Process.Signal(syscall.SIGTERM) }
	w.killProcess = func() { _ = cmd.Process.Kill() }
	t.Cleanup(func() { w.kill() })
	return w
}

// kill ends a watch process with SIGKILL, and waits until it is gone.
func (w *watchRun) kill() {
	if !w.stopped {
		w.stopped = true
		w.killProcess()
		w.code = <-w.done
	}
}
