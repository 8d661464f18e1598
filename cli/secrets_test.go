package cli_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// secretApp plants Secret values where outputs might show them: in data and
// stringData, in a client-side apply's last-applied-configuration (which
// holds the manifest, values and all), and an immutable change that makes
// the API server answer with an error.
const secretApp = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: NAMESPACE
stringData:
  password: planted-plain-value
data:
  token: cGxhbnRlZC1iYXNlNjQtdmFsdWU=
---
apiVersion: v1
kind: Secret
metadata:
  name: locked
  namespace: NAMESPACE
immutable: true
stringData:
  key: planted-immutable-value
`

// plantedSecrets are the values no output may show, in each form they
// could be shown in.
func plantedSecrets() []string {
	var forms []string
	for _, s := range []string{"planted-plain-value", "planted-base64-value", "planted-immutable-value", "planted-live-value", "planted-new-value"} {
		forms = append(forms, s, base64.StdEncoding.EncodeToString([]byte(s)))
	}
	return forms
}

// TestNoSecretInAnyOutput changes planted Secret values in the cluster and
// the manifests, then reads every output kubedrift has for them: each
// --check format, an --output-file, the --apply lines and its log file, and
// the UI's list, diff and confirmation.
func TestNoSecretInAnyOutput(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"secrets.yaml": secretApp})
	kubectl(t, "apply", "-f", dir) // client-side: last-applied-configuration holds the values
	kubectl(t, "patch", "secret/db", "-n", ns, "-p", `{"stringData":{"password":"planted-live-value"}}`)
	// The manifests move on: a new value, and a change to an immutable Secret.
	changed := strings.ReplaceAll(secretApp, "planted-plain-value", "planted-new-value")
	changed = strings.ReplaceAll(changed, "planted-immutable-value", "planted-new-value")
	if err := os.WriteFile(filepath.Join(dir, "secrets.yaml"), []byte(strings.ReplaceAll(changed, "NAMESPACE", ns)), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(what, text string) {
		t.Helper()
		for _, s := range plantedSecrets() {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the Secret value %q:\n%s", what, s, text)
			}
		}
	}

	for _, mode := range []string{"server", "offline"} {
		for _, format := range []string{"text", "json", "junit", "markdown", "github"} {
			file := filepath.Join(t.TempDir(), "report")
			r := kubedrift(t, testcluster.AdminUser, ns, "--check", "--mode="+mode, "-o", format, "--output-file", file, "-f", dir, "--color=always")
			if r.code != cli.ExitDrift && r.code != cli.ExitError {
				t.Fatalf("exit %d\n%v", r.code, r)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "db") {
				t.Fatalf("-o %s has no Secret db:\n%s", format, data)
			}
			check("--mode="+mode+" -o "+format, string(data))
			check("--mode="+mode+" text beside -o "+format, r.stdout+r.stderr)
		}
	}

	logFile := filepath.Join(t.TempDir(), "writes.log")
	r := kubedrift(t, testcluster.AdminUser, ns, "--apply", "--force-conflicts", "--log-file", logFile, "-f", dir)
	assertContains(t, r, "Secret "+ns+"/locked")
	check("--apply", r.stdout+r.stderr)
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "db") {
		t.Fatalf("the write log does not name the Secret:\n%s", log)
	}
	check("the write log", string(log))

	// The UI, on the drift that --apply could not fix (the immutable
	// Secret), and on a fresh change.
	kubectl(t, "patch", "secret/db", "-n", ns, "-p", `{"stringData":{"password":"planted-live-value"}}`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kc, err := cluster.Kubeconfig(testcluster.AdminUser, ns)
	if err != nil {
		t.Fatal(err)
	}
	s := runUI(t, ctx, uiOptions(t, ctx, kc, "-f", dir))
	s.wait("Secret "+ns+"/db", "Secret "+ns+"/locked")
	check("the UI's list", s.screen())
	// The immutable Secret is an error, listed first: its message and the
	// recreate confirmation.
	s.press("enter")
	s.wait("Immutable: ")
	check("the UI's error view", s.screen())
	s.press("a")
	s.wait("Reconcile Secret " + ns + "/locked")
	check("the UI's recreate confirmation", s.screen())
	s.press("esc")
	s.wait("reconcile cancelled")
	s.press("esc", "j", "enter")
	s.wait("--- live Secret " + ns + "/db")
	check("the UI's diff", s.screen())
	s.press("v")
	s.wait(" │ ")
	check("the UI's side-by-side diff", s.screen())
	s.press("a")
	s.wait("Reconcile Secret " + ns + "/db")
	check("the UI's confirmation", s.screen())
}
