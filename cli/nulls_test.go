package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// nullsChart has two ConfigMaps, one whose data renders as null and one
// whose data is an empty map (sources/testdata/charts/nulls).
const nullsChart = "../sources/testdata/charts/nulls"

// TestNullMapKeyAddedByHand installs ConfigMaps whose manifests set data to
// null and to {} with each installer, adds a key to each by hand, and asks
// kubedrift, in auto and offline mode, whether the next apply deletes it;
// then runs that next apply for real and holds the verdict to what it did:
// a key the apply deletes is drift, one it keeps is in sync and listed as
// a foreign field.
func TestNullMapKeyAddedByHand(t *testing.T) {
	for _, how := range []string{"kubectl apply", "kubectl apply --server-side", "helm 3", "helm 4"} {
		t.Run(how, func(t *testing.T) {
			ns := namespace(t)
			var args []string
			var apply func()
			switch how {
			case "helm 3", "helm 4":
				h := testcluster.Helm4
				if how == "helm 3" {
					h = testcluster.Helm3
				}
				helmCLI(t, h, "install", "n", nullsChart, "-n", ns)
				args = []string{"--release", "n"}
				apply = func() { helmCLI(t, h, "upgrade", "n", nullsChart, "-n", ns) }
			default:
				file := filepath.Join(t.TempDir(), "nulls.yaml")
				if err := os.WriteFile(file, []byte(helmCLI(t, testcluster.Helm4, "template", "n", nullsChart, "-n", ns)), 0o644); err != nil {
					t.Fatal(err)
				}
				cmd := append(strings.Fields(how), "-n", ns, "-f", file)[1:]
				kubectl(t, cmd...)
				args = []string{"-f", file}
				apply = func() { kubectl(t, cmd...) }
			}
			for _, cm := range []string{"n-null", "n-empty"} {
				kubectl(t, "patch", "configmap", cm, "-n", ns, "--type=merge", "-p", `{"data":{"added":"by hand"}}`)
			}
			judged := map[string]map[string]string{}
			for _, mode := range []string{"auto", "offline"} {
				got, _, r := verdicts(t, ns, append(args, "--mode", mode)...)
				judged[mode] = got
				for _, cm := range []string{"n-null", "n-empty"} {
					if got["ConfigMap/"+cm] == "InSync" && !strings.Contains(r.stdout, `"pointer": "/data/added"`) {
						t.Errorf("%s: ConfigMap %s in sync, but the key added by hand is not listed as foreign\n%v", mode, cm, r)
					}
				}
			}

			apply()
			for _, cm := range []string{"n-null", "n-empty"} {
				kept := kubectl(t, "get", "configmap", cm, "-n", ns, "-o", "jsonpath={.data.added}") == "by hand"
				want := "Drifted /data/added"
				if kept {
					want = "InSync"
				}
				for mode, got := range judged {
					if got["ConfigMap/"+cm] != want {
						t.Errorf("%s, %s: ConfigMap %s is %q, but the next apply kept the key: %v", how, mode, cm, got["ConfigMap/"+cm], kept)
					}
				}
			}
		})
	}
}
