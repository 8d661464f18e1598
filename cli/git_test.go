package cli_test

import (
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
	"github.com/kubedrift/kubedrift/internal/testgit"
)

// gitConfigMap is the repository's ConfigMap, with data a.
func gitConfigMap(a string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: NAMESPACE\ndata:\n  a: \"" + a + "\"\n"
}

const gitDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: NAMESPACE
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: nginx:1.27.3}]
`

func TestGitCheck(t *testing.T) {
	// The cluster runs what main holds; the tag of an older commit says
	// otherwise about one object. Each is judged as committed, whatever
	// the work tree holds, and the work tree is left as it was.
	ns := namespace(t)
	in := func(s string) string { return strings.ReplaceAll(s, "NAMESPACE", ns) }
	repo := testgit.New(t)
	one := repo.Commit("first", map[string]string{
		"README.md":           "# app\n",
		"k8s/configmap.yaml":  in(gitConfigMap("1")),
		"k8s/deployment.yaml": in(gitDeployment),
	})
	repo.Tag("v1", one, true)
	two := repo.Commit("second", map[string]string{"k8s/configmap.yaml": in(gitConfigMap("2"))})
	deploy(t, ns, manifests(t, ns, map[string]string{"configmap.yaml": gitConfigMap("2"), "deployment.yaml": gitDeployment}), "apply")

	// Work in progress: were it read, the ConfigMap would be drifted and
	// the new one missing at every ref.
	repo.Write(map[string]string{
		"k8s/configmap.yaml": in(gitConfigMap("3")),
		"k8s/new.yaml":       in("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\n  namespace: NAMESPACE\n"),
	})
	status := repo.Status()
	snapshot := repo.Snapshot()

	dir := repo.Dir
	fileURL := "file://" + dir
	for _, tc := range []struct {
		name   string
		spec   string
		code   int
		source string // of the origins: "git REPO@COMMIT"
	}{
		{"tag of the first commit", dir + "@v1", cli.ExitDrift, "git " + dir + "@" + one.String()[:12]},
		{"main", dir + "@main", cli.ExitInSync, "git " + dir + "@" + two.String()[:12]},
		{"HEAD", dir, cli.ExitInSync, "git " + dir + "@" + two.String()[:12]},
		{"abbreviated hash", dir + "@" + one.String()[:7] + "//k8s", cli.ExitDrift, "git " + dir + "@" + one.String()[:12]},
		{"file URL at the tag", fileURL + "@v1//k8s", cli.ExitDrift, "git " + fileURL + "@" + one.String()[:12]},
		{"file URL at main", fileURL + "@main//k8s", cli.ExitInSync, "git " + fileURL + "@" + two.String()[:12]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := kubedrift(t, testcluster.AdminUser, ns, "--check", "--git", tc.spec)
			assertCode(t, r, tc.code)
			status := "in sync"
			if tc.code == cli.ExitDrift {
				status = "drifted"
				assertContains(t, r, "2 objects: 1 in sync, 1 drifted, 0 missing, 0 errors")
			} else {
				assertContains(t, r, "2 objects: 2 in sync, 0 drifted, 0 missing, 0 errors")
			}
			assertVerdict(t, r, status, "ConfigMap "+ns+"/settings", tc.source+": k8s/configmap.yaml:1")
			assertVerdict(t, r, "in sync", "Deployment.apps "+ns+"/web", tc.source+": k8s/deployment.yaml:1")
		})
	}

	if after := repo.Status(); after != status {
		t.Errorf("git status before:\n%s\nafter:\n%s", status, after)
	}
	if after := repo.Snapshot(); after != snapshot {
		t.Errorf("the repository changed:\nbefore\n%s\nafter\n%s", snapshot, after)
	}
}

func TestGitErrors(t *testing.T) {
	// A ref that does not resolve is an error naming the repository and
	// the ref; the other sources are judged all the same. A spec that does
	// not parse is refused before anything is read.
	ns := namespace(t)
	repo := testgit.New(t)
	repo.Commit("first", map[string]string{"k8s/configmap.yaml": strings.ReplaceAll(gitConfigMap("1"), "NAMESPACE", ns)})
	files := manifests(t, ns, map[string]string{"extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"})
	kubectl(t, "create", "configmap", "extra", "-n", ns)

	r := kubedrift(t, testcluster.AdminUser, ns, "--check", "--git", repo.Dir+"@gone//k8s", "-f", files)
	assertCode(t, r, cli.ExitError)
	assertContains(t, r,
		"git "+repo.Dir+"@gone: unknown revision: not a branch, tag or commit of the repository",
		"1 object: 1 in sync, 0 drifted, 0 missing, 1 error",
	)

	r = kubedrift(t, testcluster.AdminUser, ns, "--check", "--git", repo.Dir+"@")
	assertCode(t, r, cli.ExitError)
	assertContains(t, r, `error: --git `+repo.Dir+`@: no ref after "@"`)
}
