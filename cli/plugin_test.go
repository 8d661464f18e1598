package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// These tests treat kubedrift as what it is packaged as: a program built
// with version stamps, installed as kubectl-drift, run and completed through
// kubectl.

// settings is a manifest small enough to check in a moment.
const settings = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: NAMESPACE
data:
  log-level: info
`

// moduleRoot returns the directory of kubedrift's go.mod, above the test's
// working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod above the test's directory: %v", err)
	}
	return root
}

// requiredVersion returns the version go.mod requires of module.
func requiredVersion(t *testing.T, module string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(moduleRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for s := bufio.NewScanner(f); s.Scan(); {
		// A require line, alone or in a block: "k8s.io/client-go v0.37.2".
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(s.Text()), "require "))
		if len(fields) >= 2 && fields[0] == module {
			return fields[1]
		}
	}
	t.Fatalf("go.mod does not require %s", module)
	return ""
}

// run runs a program with env and returns what it printed and its exit code;
// it fails the test only when the program could not be run at all.
func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run %s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// environ returns the test's environment with PATH set to path alone, so
// that kubectl finds no kubectl-drift but the one under test.
func environ(path string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "KUBECONFIG=")
	})
	return append(env, "PATH="+path)
}

// completions runs cobra's hidden __complete command in process, as a
// shell's completion script does, and returns the words offered (without
// their descriptions) and the directive line.
func completions(t *testing.T, kubeconfig string, args ...string) (words []string, directive string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args = append([]string{"__complete", "--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(t.TempDir(), "cache")}, args...)
	if code := cli.Main(ctx, "kubedrift", args, streams); code != 0 {
		t.Fatalf("__complete %v: exit %d\n%s%s", args, code, stdout.String(), stderr.String())
	}
	return parseCompletions(t, stdout.String())
}

// parseCompletions splits __complete's output into words and the directive.
func parseCompletions(t *testing.T, out string) (words []string, directive string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	directive = lines[len(lines)-1]
	if !strings.HasPrefix(directive, ":") {
		t.Fatalf("__complete printed no directive last:\n%s", out)
	}
	for _, l := range lines[:len(lines)-1] {
		word, _, _ := strings.Cut(l, "\t")
		words = append(words, word)
	}
	return words, directive
}

// TestKubectlPlugin builds kubedrift as kubectl-drift, the way make dist
// does, and uses it as a plugin's user would: through the kubectl built
// beside the test cluster, with the plugin found on the PATH.
func TestKubectlPlugin(t *testing.T) {
	binDir, err := testcluster.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	kubectlBin := filepath.Join(binDir, "kubectl")
	kubeconfig, err := cluster.KubeconfigFile(testcluster.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	pluginDir := t.TempDir()
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	plugin := filepath.Join(pluginDir, "kubectl-drift"+exe)

	// Stamped as the Makefile stamps it; the Makefile's -X names are the
	// ones cli/version.go documents.
	const stamped = "v9.8.7-plugin-test"
	ldflags := "-X github.com/kubedrift/kubedrift/cli.buildVersion=" + stamped +
		" -X github.com/kubedrift/kubedrift/cli.buildCommit=0123456789abcdef" +
		" -X github.com/kubedrift/kubedrift/cli.buildDate=2026-01-02T03:04:05Z"
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building the plugin needs the go command: %v", err)
	}
	build := exec.Command(goBin, "build", "-ldflags", ldflags, "-o", plugin, ".")
	build.Dir = moduleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := environ(pluginDir)
	cacheDir := filepath.Join(t.TempDir(), "cache")

	t.Run("help says kubectl drift", func(t *testing.T) {
		r := run(t, env, kubectlBin, "drift", "--help")
		assertCode(t, r, 0)
		assertContains(t, r,
			"Usage:\n  kubectl drift [-f FILENAME | -k DIR | --helm CHART | --release NAME]... [flags]\n  kubectl drift [command]\n",
			"\n  kubectl drift --check -f k8s/\n",
			`Use "kubectl drift [command] --help" for more information about a command.`,
		)
		if strings.Contains(r.stdout, "\n  kubedrift ") {
			t.Errorf("help shows a kubedrift command line to a kubectl plugin's user\n%v", r)
		}
		r = run(t, env, kubectlBin, "drift", "version", "--help")
		assertCode(t, r, 0)
		assertContains(t, r, "Usage:\n  kubectl drift version [flags]\n")
		r = run(t, env, kubectlBin, "drift", "completion", "--help")
		assertCode(t, r, 0)
		assertContains(t, r, "kubectl drift completion bash|zsh|fish|powershell", "kubectl_complete-drift", "source <(kubectl-drift completion bash)")
		r = run(t, env, kubectlBin, "drift", "nonsense")
		assertCode(t, r, cli.ExitError)
		assertContains(t, r, `unknown command "nonsense" for "kubectl drift"`)
	})

	t.Run("plugin list finds it", func(t *testing.T) {
		r := run(t, env, kubectlBin, "plugin", "list")
		assertCode(t, r, 0)
		assertContains(t, r, plugin)
	})

	t.Run("check", func(t *testing.T) {
		ns := namespace(t)
		dir := manifests(t, ns, map[string]string{"settings.yaml": settings})
		kubectl(t, "apply", "-f", dir)
		check := []string{"drift", "--kubeconfig", kubeconfig, "--cache-dir", cacheDir, "--check", "-f", dir}

		r := run(t, env, kubectlBin, check...)
		assertCode(t, r, cli.ExitInSync)
		assertContains(t, r, "in sync   ConfigMap "+ns+"/settings", "1 object")

		kubectl(t, "patch", "configmap", "settings", "-n", ns, "--type=merge", "-p", `{"data":{"log-level":"debug"}}`)
		r = run(t, env, kubectlBin, check...)
		assertCode(t, r, cli.ExitDrift)
		assertContains(t, r, "drifted   ConfigMap "+ns+"/settings", "1 drifted")
	})

	t.Run("version", func(t *testing.T) {
		r := run(t, env, kubectlBin, "drift", "version")
		assertCode(t, r, 0)
		assertContains(t, r,
			"Version:    "+stamped+"\n",
			"Commit:     0123456789abcdef\n",
			"Built:      2026-01-02T03:04:05Z\n",
			"client-go:  "+requiredVersion(t, "k8s.io/client-go")+"\n",
		)
		r = run(t, env, kubectlBin, "drift", "version", "-o", "json")
		assertCode(t, r, 0)
		var v map[string]string
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Fatalf("version -o json: %v\n%v", err, r)
		}
		if v["version"] != stamped || v["clientGoVersion"] != requiredVersion(t, "k8s.io/client-go") {
			t.Errorf("version -o json: %v", v)
		}
	})

	t.Run("kubectl completes it", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("kubectl_complete-drift is a shell script")
		}
		script, err := os.ReadFile(filepath.Join(moduleRoot(t), "hack", "kubectl_complete-drift"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pluginDir, "kubectl_complete-drift"), script, 0o755); err != nil {
			t.Fatal(err)
		}
		ns := namespace(t)
		// kubectl runs kubectl_complete-drift with the words after
		// "drift"; the script hands them to the plugin's __complete.
		r := run(t, env, kubectlBin, "__complete", "drift", "--kubeconfig", kubeconfig, "--cache-dir", cacheDir, "-n", "")
		assertCode(t, r, 0)
		words, directive := parseCompletions(t, r.stdout)
		if !slices.Contains(words, ns) || !slices.Contains(words, "default") {
			t.Errorf("kubectl __complete drift -n '' does not offer namespaces %s and default\n%v", ns, r)
		}
		if directive != ":4" {
			t.Errorf("directive %s, want :4 (no file completion)\n%v", directive, r)
		}
	})
}

// writeKubeconfig writes the admin's kubeconfig with a second context,
// "staging", whose cluster does not answer, and returns its path and the
// admin context's name.
func writeKubeconfig(t *testing.T) (path, adminContext string) {
	t.Helper()
	admin, err := cluster.KubeconfigFile(testcluster.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(admin)
	if err != nil {
		t.Fatal(err)
	}
	current := cfg.Contexts[cfg.CurrentContext]
	cfg.Clusters["staging-cluster"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	cfg.AuthInfos["staging-user"] = &clientcmdapi.AuthInfo{Token: "t"}
	cfg.Contexts["staging"] = &clientcmdapi.Context{Cluster: "staging-cluster", AuthInfo: "staging-user"}
	path = filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	if current == nil {
		t.Fatalf("the admin kubeconfig has no current context")
	}
	return path, cfg.CurrentContext
}

func TestCompletion(t *testing.T) {
	kubeconfig, adminContext := writeKubeconfig(t)
	ns := namespace(t)

	for _, tc := range []struct {
		name string
		args []string
		// want must all be offered; only, when set, is all that may be.
		want, only []string
	}{
		{name: "namespaces", args: []string{"-n", ""}, want: []string{ns, "default", "kube-system"}},
		{name: "namespaces, long flag", args: []string{"--namespace", ""}, want: []string{ns}},
		{name: "namespaces by prefix", args: []string{"-n", ns[:len(ns)-1]}, only: []string{ns}},
		{name: "namespaces after other flags", args: []string{"--mode", "offline", "--namespace", "kube-s"}, only: []string{"kube-system"}},
		{name: "namespaces of an unreachable context", args: []string{"--context", "staging", "-n", ""}, only: []string{}},
		{name: "contexts", args: []string{"--context", ""}, only: []string{adminContext, "staging"}},
		{name: "contexts by prefix", args: []string{"--context", "sta"}, only: []string{"staging"}},
		{name: "clusters", args: []string{"--cluster", "staging-"}, only: []string{"staging-cluster"}},
		{name: "users", args: []string{"--user", ""}, want: []string{"staging-user"}},
		{name: "modes", args: []string{"--mode", ""}, only: []string{"auto", "server", "offline"}},
		{name: "report formats", args: []string{"-o", ""}, want: []string{"text", "json", "junit", "github"}},
		{name: "version formats", args: []string{"version", "-o", ""}, only: []string{"json", "yaml"}},
		{name: "subcommands", args: []string{""}, want: []string{"completion", "version"}},
		{name: "shells", args: []string{"completion", ""}, only: []string{"bash", "zsh", "fish", "powershell"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			words, directive := completions(t, kubeconfig, tc.args...)
			for _, w := range tc.want {
				if !slices.Contains(words, w) {
					t.Errorf("%q not offered: %q", w, words)
				}
			}
			if tc.only != nil && !sameSet(words, tc.only) {
				t.Errorf("offered %q, want exactly %q", words, tc.only)
			}
			if directive != ":4" {
				t.Errorf("directive %s, want :4 (no file completion)", directive)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}

func TestCompletionScripts(t *testing.T) {
	// A completion script registers itself for the program's name; as the
	// plugin that is kubectl-drift, and never kubectl, whose own completion
	// it would replace.
	register := map[string]*regexp.Regexp{
		"bash":       regexp.MustCompile(`(?m)^\s*complete -o default(?: -o nospace)? -F \S+ (\S+)$`),
		"zsh":        regexp.MustCompile(`(?m)^(?:#compdef|compdef _\S+) (\S+)$`),
		"fish":       regexp.MustCompile(`(?m)^complete (?:-k )?-c (\S+) `),
		"powershell": regexp.MustCompile(`(?m)^Register-ArgumentCompleter -CommandName '(\S+)'`),
	}
	for _, name := range []string{"kubedrift", "/usr/local/bin/kubectl-drift"} {
		program := filepath.Base(name)
		for shell, re := range register {
			t.Run(program+" "+shell, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}
				if code := cli.Main(context.Background(), name, []string{"completion", shell}, streams); code != 0 {
					t.Fatalf("exit %d\n%s", code, stderr.String())
				}
				matches := re.FindAllStringSubmatch(stdout.String(), -1)
				if len(matches) == 0 {
					t.Fatalf("the %s script registers no command\n%s", shell, stdout.String())
				}
				for _, m := range matches {
					if m[1] != program {
						t.Errorf("the %s script registers %q, want %q: %s", shell, m[1], program, m[0])
					}
				}
			})
		}
	}

	var stdout, stderr bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}
	if code := cli.Main(context.Background(), "kubedrift", []string{"completion", "tcsh"}, streams); code != cli.ExitError {
		t.Errorf("completion tcsh: exit %d, want %d", code, cli.ExitError)
	}
	if !strings.Contains(stderr.String(), `invalid argument "tcsh"`) {
		t.Errorf("completion tcsh: %q", stderr.String())
	}
}

func TestVersion(t *testing.T) {
	// A test binary is neither stamped nor given build information about
	// its dependencies, so what it can show is the Go toolchain and the
	// formats; TestKubectlPlugin checks a built binary's stamps and its
	// client-go version.
	version := func(args ...string) result {
		t.Helper()
		var stdout, stderr bytes.Buffer
		streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}
		code := cli.Main(context.Background(), "kubedrift", append([]string{"version"}, args...), streams)
		return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	}

	r := version()
	assertCode(t, r, 0)
	lines := regexp.MustCompile(`^Version:    \S+\nCommit:     \S+\nBuilt:      \S+\nGo:         (\S+) (\S+)\nclient-go:  \S+\n$`).FindStringSubmatch(r.stdout)
	if lines == nil {
		t.Fatalf("version prints\n%s", r.stdout)
	}
	if lines[1] != runtime.Version() || lines[2] != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version prints Go %s %s, want %s %s/%s", lines[1], lines[2], runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}

	var fromJSON, fromYAML map[string]string
	r = version("-o", "json")
	assertCode(t, r, 0)
	if err := json.Unmarshal([]byte(r.stdout), &fromJSON); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, r.stdout)
	}
	r = version("--output=yaml")
	assertCode(t, r, 0)
	if err := yaml.Unmarshal([]byte(r.stdout), &fromYAML); err != nil {
		t.Fatalf("version -o yaml: %v\n%s", err, r.stdout)
	}
	if !maps.Equal(fromJSON, fromYAML) {
		t.Errorf("json and yaml differ:\n%v\n%v", fromJSON, fromYAML)
	}
	for _, k := range []string{"version", "commit", "buildDate", "goVersion", "platform", "clientGoVersion"} {
		if fromJSON[k] == "" {
			t.Errorf("version -o json has no %s\n%v", k, fromJSON)
		}
	}

	r = version("-o", "xml")
	assertCode(t, r, cli.ExitError)
	assertContains(t, r, `--output must be json or yaml, not "xml"`)
}
