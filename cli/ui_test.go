package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/internal/testcluster"
	"github.com/kubedrift/kubedrift/ui"
)

// screenRecorder wraps the UI's model and keeps its last screen, so that a
// test can read what a person would see while the program runs.
type screenRecorder struct {
	tea.Model
	mu     *sync.Mutex
	screen *string
}

func (r screenRecorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := r.Model.Update(msg)
	r.mu.Lock()
	*r.screen = ansi.Strip(m.View().Content)
	r.mu.Unlock()
	return screenRecorder{m, r.mu, r.screen}, cmd
}

// TestUIReconcileAndLiveUpdate drives the real program against the real
// cluster: it reconciles a drifted Deployment and sees its row turn in sync,
// then changes the Deployment from outside and sees the row turn drifted
// with no key pressed.
func TestUIReconcileAndLiveUpdate(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply", "--server-side")
	kubectl(t, "set", "image", "deployment/web", "web=nginx:1.28.0", "-n", ns)

	kc, err := cluster.Kubeconfig(testcluster.AdminUser, ns)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := uiOptions(t, ctx, kc, "-f", dir)

	var mu sync.Mutex
	var last string
	p := tea.NewProgram(screenRecorder{ui.New(ctx, opts), &mu, &last},
		tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(discard{}), tea.WithWindowSize(120, 30))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	defer func() {
		p.Quit()
		<-done
	}()
	waitScreen := func(want ...string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			screen := last
			mu.Unlock()
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(screen, w)
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the screen never showed %q:\n%s", want, screen)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	press := func(k string) {
		code := []rune(k)[0]
		p.Send(tea.KeyPressMsg{Code: code, Text: k})
	}

	waitScreen("drifted    Deployment.apps "+ns+"/web", "image nginx:1.28.0→nginx:1.27.3", "3 in sync")
	press("a") // the drifted Deployment is the first row
	waitScreen("Reconcile Deployment.apps "+ns+"/web", "y apply")
	press("y")
	// kubectl set image owns the image now: a person's tool, whose field
	// the reconcile takes back unasked, and says so.
	waitScreen("apply Deployment.apps "+ns+"/web as kubectl: now in sync; took back spec.template.spec.containers", "4 in sync")

	// Someone scales the Deployment while the UI is open.
	kubectl(t, "scale", "deployment/web", "--replicas=7", "-n", ns)
	waitScreen("drifted    Deployment.apps "+ns+"/web", "replicas 7→")

	// The user decides the replicas are the autoscaler's business: a rule
	// from the diff view, written next to the manifests, and the
	// Deployment is judged in sync under it.
	enter := func() { p.Send(tea.KeyPressMsg{Code: tea.KeyEnter}) }
	enter()
	waitScreen("spec.replicas: 7 -> ")
	press("i")
	waitScreen("Ignore a field of Deployment.apps "+ns+"/web", "spec.replicas")
	enter()
	rules := filepath.Join(dir, ".kubedrift.yaml")
	waitScreen("This rule will be added to "+rules, "- /spec/replicas")
	press("y")
	waitScreen("in sync  Deployment.apps "+ns+"/web", "added the rule to "+rules)
	data, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	want := "ignore:\n  - group: apps\n    kind: Deployment\n    namespace: " + ns + "\n    name: web\n    paths:\n      - /spec/replicas\n"
	if string(data) != want {
		t.Errorf("%s is\n%s\nwant\n%s", rules, data, want)
	}
}

// TestUIWithoutCluster opens the UI's session on a cluster that does not
// answer: the check judges nothing and says why, with the problems in the
// manifests that are known without a cluster, instead of ending the program.
func TestUIWithoutCluster(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := uiOptions(t, t.Context(), []byte(unreachableKubeconfig), "--request-timeout", "5s", "-f", bad)
	rep, errs := opts.Checker.Check(t.Context(), func(drift.Result, int, int) {})
	if rep != nil {
		t.Errorf("a report without a cluster: %+v", rep)
	}
	var text []string
	for _, err := range errs {
		text = append(text, err.Error())
	}
	joined := strings.Join(text, "\n")
	for _, want := range []string{bad + ":3", "cannot reach the cluster at https://127.0.0.1:1"} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "never-printed-token") {
		t.Errorf("a problem prints the token:\n%s", joined)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
