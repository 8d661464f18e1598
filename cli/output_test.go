package cli_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
	"github.com/kubedrift/kubedrift/report"
)

// TestCheckOutputFormats runs --check on a scaled Deployment in every
// report format, as a CI job would, and reads each report as its consumer
// does: JSON through the documented schema, JUnit as XML, GitHub's
// annotations by file and line.
func TestCheckOutputFormats(t *testing.T) {
	ns := namespace(t)
	dir := manifests(t, ns, map[string]string{"app.yaml": app})
	deploy(t, ns, dir, "apply")
	kubectl(t, "scale", "deployment/web", "--replicas=5", "-n", ns)
	manifest := filepath.Join(dir, "app.yaml")

	t.Run("json to a file, text to stdout", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "drift.json")
		r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir, "-o", "json", "--output-file", file)
		assertCode(t, r, cli.ExitDrift)
		assertContains(t, r, "4 objects: 3 in sync, 1 drifted", "drifted   Deployment.apps "+ns+"/web")
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(report.Schema()))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("schema.json", doc); err != nil {
			t.Fatal(err)
		}
		schema, err := c.Compile("schema.json")
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s is no JSON: %v", file, err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("the report does not follow its schema: %v", err)
		}
		var rep struct {
			Results []struct {
				Ref     struct{ Kind, Name string }
				Status  string
				Origin  struct{ File string }
				Changes []struct{ Path, Manager string }
			}
		}
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, res := range rep.Results {
			if res.Ref.Kind == "Deployment" && res.Status == "Drifted" {
				found = true
				if res.Origin.File != manifest || len(res.Changes) != 1 || res.Changes[0].Path != "spec.replicas" {
					t.Errorf("the Deployment's result: %+v", res)
				}
			}
		}
		if !found {
			t.Errorf("no drifted Deployment in\n%s", data)
		}
		if strings.Contains(string(data), "correct-horse-battery-staple") {
			t.Error("the JSON report prints a Secret value")
		}
	})

	t.Run("junit", func(t *testing.T) {
		r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir, "-o", "junit")
		assertCode(t, r, cli.ExitDrift)
		var suites struct {
			Suites []struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
				Cases    []struct {
					Name    string    `xml:"name,attr"`
					Failure *struct{} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(r.stdout), &suites); err != nil {
			t.Fatalf("not XML: %v\n%s", err, r.stdout)
		}
		if len(suites.Suites) != 1 || suites.Suites[0].Tests != 4 || suites.Suites[0].Failures != 1 {
			t.Fatalf("suites %+v, want one of 4 tests with 1 failure", suites)
		}
		for _, c := range suites.Suites[0].Cases {
			if (c.Failure != nil) != strings.Contains(c.Name, "Deployment") {
				t.Errorf("test case %q failed: %v", c.Name, c.Failure != nil)
			}
		}
	})

	t.Run("github", func(t *testing.T) {
		r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir, "-o", "github")
		assertCode(t, r, cli.ExitDrift)
		assertContains(t, r, "::error file="+manifest+",line=1,title=kubedrift%3A drifted Deployment.apps "+ns+"/web::spec.replicas: 5 -> 3")
	})

	t.Run("markdown", func(t *testing.T) {
		r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir, "-o", "markdown")
		assertCode(t, r, cli.ExitDrift)
		assertContains(t, r, "<details>", "```diff", "-  replicas: 5")
	})

	t.Run("exit zero, colour, context", func(t *testing.T) {
		r := kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir, "--exit-zero", "--color=always", "--diff-context=0")
		assertCode(t, r, cli.ExitInSync)
		assertContains(t, r, "\x1b[", "@@ -")
		if strings.Contains(r.stdout, "selector:") {
			t.Errorf("--diff-context=0 printed context lines:\n%s", r.stdout)
		}
		r = kubedrift(t, testcluster.AdminUser, ns, "--check", "-f", dir)
		if strings.Contains(r.stdout, "\x1b[") {
			t.Error("colour in a report that goes to no terminal")
		}
	})

	t.Run("bad flags", func(t *testing.T) {
		for args, want := range map[string]string{
			"-o yaml":           `unknown report format "yaml"`,
			"--color=sometimes": `--color must be auto, always or never`,
			"--diff-context=-1": `--diff-context must be 0 or more`,
		} {
			r := kubedrift(t, testcluster.AdminUser, ns, append([]string{"--check", "-f", dir}, strings.Fields(args)...)...)
			assertCode(t, r, cli.ExitError)
			assertContains(t, r, want)
		}
	})
}

// TestCheckUnreachableClusterReport: a CI system that reads a JSON report
// reads why there are no verdicts.
func TestCheckUnreachableClusterReport(t *testing.T) {
	dir := manifests(t, "default", map[string]string{"app.yaml": app})
	r := kubedriftWithKubeconfig(t, []byte(unreachableKubeconfig), "", "--check", "-f", dir, "-o", "json")
	assertCode(t, r, cli.ExitError)
	var rep struct {
		InputErrors []struct{ Message string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is no JSON: %v\n%v", err, r)
	}
	if len(rep.InputErrors) != 1 || !strings.Contains(rep.InputErrors[0].Message, "cannot reach the cluster at https://127.0.0.1:1") {
		t.Errorf("input errors %+v", rep.InputErrors)
	}
}
