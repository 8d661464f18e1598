package cli_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// helmCLI runs the real Helm command line h (bin/helm or bin/helm3) as the
// test cluster's admin, as a person would, and returns what it printed.
func helmCLI(t *testing.T, h testcluster.Helm, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := cluster.Helm(ctx, h, testcluster.AdminUser, args...)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestHelmCLIRelease installs the shop chart with the real Helm 4 and Helm
// 3 command lines, which write their release records and apply their
// objects each in its own way (Helm 4 server-side as manager "helm", Helm 3
// by create and three-way merge patch), and reads each release back: the
// untouched install is in sync, a `kubectl scale` afterwards is drift.
func TestHelmCLIRelease(t *testing.T) {
	for _, h := range []testcluster.Helm{testcluster.Helm4, testcluster.Helm3} {
		t.Run(string(h), func(t *testing.T) {
			ns := namespace(t)
			// No hooks: the test cluster has no kubelet, and Helm would
			// wait for the pre-install Job forever. The CRDs are the
			// cluster's, shared by every test.
			helmCLI(t, h, "install", "shop", shopChart, "-n", ns, "-f", shopProdValues, "--no-hooks", "--skip-crds")
			waitForDeployments(t, ns)

			args := []string{"--check", "--release", "shop", "-n", ns}
			r := kubedrift(t, testcluster.AdminUser, "default", args...)
			assertCode(t, r, cli.ExitInSync)
			assertContains(t, r,
				"in sync   Deployment.apps "+ns+"/shop-web ",
				"release "+ns+"/shop (revision 1): shop/templates/deployment.yaml",
				"7 objects: 7 in sync, 0 drifted, 0 missing, 0 errors",
			)
			if h == testcluster.Helm3 {
				assertUncompressedRecordRead(t, ns)
			}

			kubectl(t, "scale", "deployment/shop-web", "--replicas=7", "-n", ns)
			r = kubedrift(t, testcluster.AdminUser, "default", args...)
			assertCode(t, r, cli.ExitDrift)
			assertContains(t, r,
				"drifted   Deployment.apps "+ns+"/shop-web ",
				"\n    -  replicas: 7\n    +  replicas: 4\n",
				"7 objects: 6 in sync, 1 drifted, 0 missing, 0 errors",
			)
			if strings.Contains(r.stdout, "Job") {
				t.Errorf("the hook left out by --no-hooks is part of the release's desired state\n%v", r)
			}
		})
	}
}

// assertUncompressedRecordRead stores the record Helm 3 wrote for release
// shop again, as release legacy and uncompressed, as Helm stored releases
// before it gzipped them, and reads it back.
func assertUncompressedRecordRead(t *testing.T, ns string) {
	t.Helper()
	stored := kubectl(t, "get", "secret", "sh.helm.release.v1.shop.v1", "-n", ns, "-o", "jsonpath={.data.release}")
	record, err := base64.StdEncoding.DecodeString(stored) // the Secret's own base64
	if err != nil {
		t.Fatal(err)
	}
	if record, err = base64.StdEncoding.DecodeString(string(record)); err != nil { // Helm's
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(record))
	if err != nil {
		t.Fatalf("Helm 3's record is not gzipped: %v", err)
	}
	release, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "release")
	if err := os.WriteFile(file, []byte(base64.StdEncoding.EncodeToString(release)), 0o600); err != nil {
		t.Fatal(err)
	}
	name := "sh.helm.release.v1.legacy.v1"
	kubectl(t, "create", "secret", "generic", name, "-n", ns, "--type=helm.sh/release.v1", "--from-file=release="+file)
	kubectl(t, "label", "secret", name, "-n", ns, "name=legacy", "owner=helm", "status=deployed", "version=1")
	r := kubedrift(t, testcluster.AdminUser, "default", "--check", "--release", "legacy", "-n", ns)
	assertCode(t, r, cli.ExitInSync)
	assertContains(t, r, "release "+ns+"/legacy (revision 1): shop/templates/deployment.yaml", "7 objects: 7 in sync")
}

// guardChart is the sources tests' chart of the patterns of popular charts
// that once gave false drift (sources/testdata/charts/guard).
const guardChart = "../sources/testdata/charts/guard"

// jsonVerdicts is the part of `--check -o json` that says each object's
// verdict.
type jsonVerdicts struct {
	Results []struct {
		Ref struct {
			Kind, Name string
		} `json:"ref"`
		Status  string `json:"status"`
		Changes []struct {
			Pointer string `json:"pointer"`
		} `json:"changes"`
		Spared []struct {
			Pointer, By string
		} `json:"spared"`
	} `json:"results"`
}

// verdicts runs `kubedrift --check -o json` with args and returns each
// object's verdict by "Kind/name": its status, with the pointers of the
// fields that drifted, and its spared fields as "pointer (by)".
func verdicts(t *testing.T, ns string, args ...string) (status map[string]string, spared map[string][]string, r result) {
	t.Helper()
	r = kubedrift(t, testcluster.AdminUser, ns, append([]string{"--check", "-o", "json", "-n", ns}, args...)...)
	var rep jsonVerdicts
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("decode the JSON report: %v\n%v", err, r)
	}
	status, spared = map[string]string{}, map[string][]string{}
	for _, res := range rep.Results {
		id := res.Ref.Kind + "/" + res.Ref.Name
		v := res.Status
		for _, c := range res.Changes {
			v += " " + c.Pointer
		}
		status[id] = v
		for _, s := range res.Spared {
			spared[id] = append(spared[id], s.Pointer+" ("+s.By+")")
		}
	}
	return status, spared, r
}

// TestHelmCLIChartRenderedAsUpgrade installs the guard chart with the real
// Helm 4 and Helm 3, lets the webhook's controller switch the failurePolicy
// that the chart sets only on install, and judges the chart with --helm:
// rendered as the next `helm upgrade` would render it (IsUpgrade, lookup
// reading the cluster), the generated password the chart keeps through
// lookup and the policy the upgrade would not send are in sync; the
// checksum of the password taken at install, which the next upgrade would
// change, and a rollout annotation made up anew on every render are spared
// as generated at random by the chart; an annotation of the revision is
// spared as such, and a Job named after it is expected under the deployed
// revision's name.
func TestHelmCLIChartRenderedAsUpgrade(t *testing.T) {
	for _, h := range []testcluster.Helm{testcluster.Helm4, testcluster.Helm3} {
		t.Run(string(h), func(t *testing.T) {
			ns := namespace(t)
			helmCLI(t, h, "install", "guard", guardChart, "-n", ns)
			kubectl(t, "patch", "validatingwebhookconfiguration", ns+"-guard", "--type=json", "--field-manager=guard-controller",
				"-p", `[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Fail"}]`)

			got, spared, r := verdicts(t, ns, "--helm", guardChart, "--helm-release", "guard")
			for _, obj := range []string{
				"Secret/guard-db",
				"Deployment/guard-api",
				"Deployment/guard-worker",
				"DaemonSet/guard-agent",
				"Job/guard-seed-1",
				"ValidatingWebhookConfiguration/" + ns + "-guard",
				"ConfigMap/guard-rules",
				"ConfigMap/guard-limits",
			} {
				if got[obj] != "InSync" {
					t.Errorf("%s: %q, want in sync\n%v", obj, got[obj], r)
				}
			}
			for obj, field := range map[string]string{
				"Deployment/guard-api":    "/spec/template/metadata/annotations/checksum~1secret",
				"Deployment/guard-worker": "/spec/template/metadata/annotations/rollme",
			} {
				if want := field + " (generated at random by the chart)"; !slices.Contains(spared[obj], want) {
					t.Errorf("%s: spared %q, want %q among them", obj, spared[obj], want)
				}
			}
			if want := "/spec/template/metadata/annotations/guard.example.com~1revision (rendered from the release's revision, which every upgrade changes)"; !slices.Contains(spared["DaemonSet/guard-agent"], want) {
				t.Errorf("DaemonSet/guard-agent: spared %q, want %q among them", spared["DaemonSet/guard-agent"], want)
			}
			text := kubedrift(t, testcluster.AdminUser, ns, "--check", "-n", ns, "--helm", guardChart, "--helm-release", "guard")
			assertContains(t, text, "spared /spec/template/metadata/annotations/rollme: generated at random by the chart (--release compares what was installed)")
			if strings.Contains(r.stderr, "warning") {
				t.Errorf("a warning on a render the admin may read all of:\n%v", r)
			}
		})
	}
}

// TestHelmCLILifecycle installs the guard chart with the real Helm, which
// runs its post-install hook and deletes it as its hook-delete-policy asks,
// then removes the Job as the TTL controller does once it finished: neither
// absence is drift, in --helm with hooks or in --release, and the report
// says why.
func TestHelmCLILifecycle(t *testing.T) {
	ns := namespace(t)
	helmCLI(t, testcluster.Helm4, "install", "guard", guardChart, "-n", ns)
	kubectl(t, "delete", "job", "guard-migrate", "-n", ns)
	for _, args := range [][]string{
		{"--helm", guardChart, "--helm-release", "guard", "--helm-hooks"},
		{"--release", "guard"},
	} {
		got, _, r := verdicts(t, ns, args...)
		if got["Job/guard-migrate"] != "InSync" {
			t.Errorf("%s: the Job the TTL controller removed is %q, want InSync\n%v", args[0], got["Job/guard-migrate"], r)
		}
		assertContains(t, r, `"note": "completed and removed: its ttlSecondsAfterFinished has passed"`)
		if args[0] == "--helm" {
			if got["ConfigMap/guard-announce"] != "InSync" {
				t.Errorf("the hook Helm deleted after it ran is %q, want InSync\n%v", got["ConfigMap/guard-announce"], r)
			}
			assertContains(t, r, `"note": "a Helm hook, deleted after it ran: its hook-delete-policy is hook-succeeded"`)
		}
	}
}

// TestHelmCLILookupForbidden judges the guard chart as a user who may not
// read Secrets: neither the release storage nor the chart's lookup of its
// Secret can be read, so the chart renders as an install would, and the
// report says both once, as warnings that count as no error: the errors
// are the two objects the user may not read at all.
func TestHelmCLILookupForbidden(t *testing.T) {
	ns := namespace(t)
	helmCLI(t, testcluster.Helm4, "install", "guard", guardChart, "-n", ns)
	r := kubedrift(t, testcluster.ViewerUser, ns, "--check", "-n", ns, "--helm", guardChart, "--helm-release", "guard")
	assertContains(t, r,
		"warning   chart guard: lookup of Secret "+ns+"/guard-db is forbidden to you",
		`warning   chart guard: rendered as a new install, since whether release "guard" exists is not known`,
		"11 objects: 9 in sync, 0 drifted, 0 missing, 2 errors\n",
		"error     Secret "+ns+"/guard-db",
	)
	j := kubedrift(t, testcluster.ViewerUser, ns, "--check", "-o", "json", "-n", ns, "--helm", guardChart, "--helm-release", "guard")
	var rep struct {
		Warnings []struct{ Message string } `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(j.stdout), &rep); err != nil || len(rep.Warnings) != 2 {
		t.Errorf("the JSON report's warnings: %+v (%v), want two\n%v", rep.Warnings, err, j)
	}
}

// TestApplyHelmReleaseThenUpgrade changes a Helm release's Deployment by
// hand (kubectl scale, kubectl set image), reconciles it with --apply
// --release, which takes both back unasked and applies as the release's
// own applier, and then runs the real next `helm upgrade` of the release:
// it must succeed (Helm 4 applies server-side without force, so a field
// kubedrift had taken from it would fail it), and leave the release in sync.
func TestApplyHelmReleaseThenUpgrade(t *testing.T) {
	for _, h := range []testcluster.Helm{testcluster.Helm4, testcluster.Helm3} {
		t.Run(string(h), func(t *testing.T) {
			ns := namespace(t)
			install := []string{"shop", shopChart, "-n", ns, "-f", shopProdValues, "--no-hooks", "--skip-crds"}
			helmCLI(t, h, append([]string{"install"}, install...)...)
			waitForDeployments(t, ns)
			kubectl(t, "scale", "deployment/shop-web", "--replicas=7", "-n", ns)
			kubectl(t, "set", "image", "deployment/shop-web", "web=registry.example/shop:hand-made", "-n", ns)

			r := kubedrift(t, testcluster.AdminUser, "default", "--apply", "--release", "shop", "-n", ns)
			assertCode(t, r, cli.ExitInSync)
			assertContains(t, r, "applied    Deployment.apps "+ns+"/shop-web (as ", "now in sync; took back ",
				"spec.replicas from kubectl (scale", `image from kubectl set`, "1 reconciled, 0 not")

			helmCLI(t, h, append([]string{"upgrade"}, install...)...)
			r = kubedrift(t, testcluster.AdminUser, "default", "--check", "--release", "shop", "-n", ns)
			assertCode(t, r, cli.ExitInSync)
			assertContains(t, r, "release "+ns+"/shop (revision 2)", "7 objects: 7 in sync")
		})
	}
}
