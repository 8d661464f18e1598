package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/sources"
)

func TestEscapeData(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"plain", "spec.replicas: 5 -> 3", "spec.replicas: 5 -> 3"},
		{"newlines", "one\ntwo\r\nthree", "one%0Atwo%0D%0Athree"},
		{"percent first", "100%\n", "100%25%0A"},
		{"an escape already", "%0A", "%250A"},
		{"colons and commas stay", "a: b, c::d", "a: b, c::d"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := escapeData(tt.in); got != tt.want {
				t.Errorf("escapeData(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := unescape(escapeData(tt.in)); got != tt.in {
				t.Errorf("the runner reads %q back as %q", tt.in, got)
			}
		})
	}
}

func TestEscapeProperty(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"path", "k8s/web.yaml", "k8s/web.yaml"},
		{"title", "kubedrift: drifted Deployment.apps shop/web", "kubedrift%3A drifted Deployment.apps shop/web"},
		{"comma", "a,b", "a%2Cb"},
		{"windows path", `C:\k8s\web.yaml`, `C%3A\k8s\web.yaml`},
		{"everything", "50%,\r\n:", "50%25%2C%0D%0A%3A"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := escapeProperty(tt.in); got != tt.want {
				t.Errorf("escapeProperty(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := unescape(escapeProperty(tt.in)); got != tt.in {
				t.Errorf("the runner reads %q back as %q", tt.in, got)
			}
		})
	}
}

// unescape undoes the escapes as the Actions runner reads them: %0D, %0A,
// %3A, %2C and %25, each read once, left to right.
func unescape(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(s)
}

// annotation is one workflow command as the runner parses it.
type annotation struct {
	command    string
	properties map[string]string
	message    string
}

// parseCommand parses a workflow command line the way the runner does: the
// command, properties split at commas and each at its first =, then the
// message after the second ::.
func parseCommand(t *testing.T, line string) annotation {
	t.Helper()
	rest, ok := strings.CutPrefix(line, "::")
	if !ok {
		t.Fatalf("%q is no command", line)
	}
	head, message, ok := strings.Cut(rest, "::")
	if !ok {
		t.Fatalf("%q has no message separator", line)
	}
	a := annotation{properties: map[string]string{}, message: unescape(message)}
	command, props, _ := strings.Cut(head, " ")
	a.command = command
	if props != "" {
		for _, p := range strings.Split(props, ",") {
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				t.Fatalf("%q: property %q has no =", line, p)
			}
			a.properties[k] = unescape(v)
		}
	}
	return a
}

func TestGitHubAnnotations(t *testing.T) {
	rep, inputErrs := sample()
	var b bytes.Buffer
	if err := Write(&b, FormatGitHub, rep, inputErrs, Options{DiffContext: 3, Now: now}); err != nil {
		t.Fatal(err)
	}
	var got []annotation
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "::error") || strings.HasPrefix(line, "::warning") || strings.HasPrefix(line, "::notice") {
			got = append(got, parseCommand(t, line))
		}
	}
	want := []struct {
		command, file, line, title string
		messageHas                 string
	}{
		{"notice", "k8s/namespace.yaml", "1", "kubedrift: foreign fields on Namespace shop", "metadata.labels.team"},
		{"warning", "", "", "kubedrift: unmanaged ConfigMap shop/old-settings", "no manifest declares it"},
		// A rendered template has a file, but no line.
		{"error", "shop/templates/secret.yaml", "", "kubedrift: drifted Secret shop/db-credentials", "*** (9 bytes, after)"},
		{"error", "k8s/web.yaml", "30", "kubedrift: missing Service shop/web", "not in the cluster (judged offline"},
		{"error", "k8s/web.yaml", "1", "kubedrift: drifted Deployment.apps shop/web",
			"spec.replicas: 5 -> 3 (live value by kubectl) [conflict with kubectl]\nspec.template"},
		{"error", "k8s/rbac.yaml", "1", "kubedrift: error Role.rbac.authorization.k8s.io shop/reader", "Forbidden: roles.rbac"},
		{"error", "k8s/broken.yaml", "7", "kubedrift: input error", "invalid YAML"},
		{"error", "", "", "kubedrift: input error in chart shop", "nil pointer"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d annotations, want %d:\n%s", len(got), len(want), b.String())
	}
	for i, w := range want {
		a := got[i]
		if a.command != w.command || a.properties["file"] != w.file || a.properties["line"] != w.line || a.properties["title"] != w.title {
			t.Errorf("annotation %d: %s %v, want %s file=%q line=%q title=%q", i, a.command, a.properties, w.command, w.file, w.line, w.title)
		}
		if !strings.Contains(a.message, w.messageHas) {
			t.Errorf("annotation %d: message %q lacks %q", i, a.message, w.messageHas)
		}
	}
}

// TestGitHubDiffCannotRunCommands checks that a diff whose lines look like
// workflow commands (a script in a ConfigMap) is printed with commands
// stopped, and that commands resume after it.
func TestGitHubDiffCannotRunCommands(t *testing.T) {
	script := func(extra string) map[string]any {
		return map[string]any{"data": map[string]any{"run.sh": "echo start\n::add-mask::oops\n" + extra + "::error::injected\n"}}
	}
	rep := &drift.Report{Results: []drift.Result{{
		Ref:    drift.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "script"},
		Status: drift.Drifted, Origin: sources.Origin{File: "k8s/script.yaml", Line: 1},
		Live: obj("v1", "ConfigMap", "shop", "script", script("")),
		Want: obj("v1", "ConfigMap", "shop", "script", script("echo more\n")),
	}}}
	var b bytes.Buffer
	if err := Write(&b, FormatGitHub, rep, nil, Options{DiffContext: 3, Now: now}); err != nil {
		t.Fatal(err)
	}
	stopped := ""
	var live []string // command lines the runner would act on
	for _, line := range strings.Split(b.String(), "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if !strings.HasPrefix(trimmed, "::") {
			continue
		}
		if stopped != "" {
			if trimmed == "::"+stopped+"::" {
				stopped = ""
			}
			continue
		}
		if token, ok := strings.CutPrefix(trimmed, "::stop-commands::"); ok {
			stopped = token
			continue
		}
		live = append(live, trimmed)
	}
	if stopped != "" {
		t.Errorf("commands never resumed after %q", stopped)
	}
	for _, l := range live {
		if strings.Contains(l, "add-mask") || strings.Contains(l, "injected") {
			t.Errorf("the runner would run %q from the diff:\n%s", l, b.String())
		}
	}
	if !slices.Contains(live, "::endgroup::") {
		t.Errorf("commands are not resumed for ::endgroup::; saw %q", live)
	}
}
