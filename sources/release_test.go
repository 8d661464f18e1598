package sources_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	chartloader "helm.sh/helm/v4/pkg/chart/v2/loader"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
	"helm.sh/helm/v4/pkg/strvals"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubedrift/kubedrift/sources"
)

// shopRelease renders the shop chart as helm install renders a release named
// name in namespace, with the --set values, and returns it as revision with
// status, ready to be stored.
func shopRelease(t *testing.T, name, namespace string, revision int, status rcommon.Status, set ...string) *releasev1.Release {
	t.Helper()
	ch, err := chartloader.Load(shopChart)
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{}
	for _, s := range set {
		if err := strvals.ParseInto(s, vals); err != nil {
			t.Fatal(err)
		}
	}
	install := action.NewInstall(action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler)))
	install.DryRunStrategy = action.DryRunClient
	install.ReleaseName, install.Namespace = name, namespace
	r, err := install.RunWithContext(context.Background(), ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	rel := r.(*releasev1.Release)
	rel.Version = revision
	rel.SetStatus(status, "set by the test")
	return rel
}

// storeReleases writes releases into Helm's storage in the fake cluster,
// with the driver Helm would use.
func storeReleases(t *testing.T, d driver.Driver, releases ...*releasev1.Release) {
	t.Helper()
	for _, rel := range releases {
		if err := d.Create(fmt.Sprintf("sh.helm.release.v1.%s.v%d", rel.Name, rel.Version), rel); err != nil {
			t.Fatal(err)
		}
	}
}

// releaseObjects lists the manifests as "Kind name <- origin", sorted.
func releaseObjects(manifests []sources.Manifest) []string {
	out := rendered(manifests)
	slices.Sort(out)
	return out
}

func TestLoadReleaseLastDeployed(t *testing.T) {
	// A failed upgrade and one still pending come after the revision that
	// is deployed; the desired state is what Helm last deployed.
	cs := fake.NewClientset()
	deployed := shopRelease(t, "web", "shop", 2, rcommon.StatusDeployed, "replicaCount=3")
	if len(deployed.Hooks) == 0 {
		t.Fatal("the release has no hooks: the test would not show that hooks are left out")
	}
	storeReleases(t, driver.NewSecrets(cs.CoreV1().Secrets("shop")),
		shopRelease(t, "web", "shop", 1, rcommon.StatusSuperseded, "replicaCount=1"),
		deployed,
		shopRelease(t, "web", "shop", 3, rcommon.StatusFailed, "replicaCount=7"),
		shopRelease(t, "web", "shop", 4, rcommon.StatusPendingUpgrade, "replicaCount=9"),
		// Another release beside it is not read.
		shopRelease(t, "other", "shop", 5, rcommon.StatusDeployed),
	)

	manifests, errs := sources.LoadRelease(context.Background(), &sources.Cluster{Client: cs}, "shop", "web")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// The templates' objects only: not the hook (a Job), not the CRDs of
	// crds/, which Helm installs apart from the release.
	const from = " <- release shop/web (revision 2): "
	assertStrings(t, "objects", releaseObjects(manifests), []string{
		"ConfigMap web-shop-settings" + from + "shop/templates/configmap.yaml",
		"Deployment web-cache" + from + "shop/charts/cache/templates/deployment.yaml",
		"Deployment web-shop-web" + from + "shop/templates/deployment.yaml",
		"Service web-cache" + from + "shop/charts/cache/templates/service.yaml",
		"Service web-shop-web" + from + "shop/templates/service.yaml",
	})
	if got := fieldType(t, findObject(t, manifests, "Deployment", "web-shop-web"), "spec", "replicas"); got != "int64 3" {
		t.Errorf("replicas %s, want revision 2's 3", got)
	}
	for _, m := range manifests {
		if m.Origin.Line != 0 {
			t.Errorf("%s %s has line %d in a rendered manifest", m.Object.GetKind(), m.Object.GetName(), m.Origin.Line)
		}
	}
}

func TestLoadReleaseConfigMapDriver(t *testing.T) {
	// With HELM_DRIVER=configmap, Helm keeps the release in ConfigMaps.
	cs := fake.NewClientset()
	storeReleases(t, driver.NewConfigMaps(cs.CoreV1().ConfigMaps("shop")),
		shopRelease(t, "web", "shop", 1, rcommon.StatusDeployed, "cache.enabled=false"))

	manifests, errs := sources.LoadRelease(context.Background(), &sources.Cluster{Client: cs}, "shop", "web")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	const from = " <- release shop/web (revision 1): "
	assertStrings(t, "objects", releaseObjects(manifests), []string{
		"ConfigMap web-shop-settings" + from + "shop/templates/configmap.yaml",
		"Deployment web-shop-web" + from + "shop/templates/deployment.yaml",
		"Service web-shop-web" + from + "shop/templates/service.yaml",
	})
}

// A release that the real Helm 3 wrote, and the same record uncompressed,
// as Helm stored releases before it gzipped them, are read by
// TestHelmCLIRelease in cli against the test cluster.

func TestLoadReleaseErrors(t *testing.T) {
	forbidden := func(resource string) k8stesting.ReactionFunc {
		return func(action k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "",
				fmt.Errorf(`User "reader" cannot list resource %q in API group "" in the namespace "shop"`, resource))
		}
	}
	for _, tt := range []struct {
		name    string
		cluster func(t *testing.T) *sources.Cluster
		want    string
	}{
		{
			name:    "no cluster",
			cluster: func(*testing.T) *sources.Cluster { return nil },
			want:    "reading a release needs a cluster",
		},
		{
			name: "not found",
			cluster: func(t *testing.T) *sources.Cluster {
				// A release of that name in another namespace is another
				// release.
				cs := fake.NewClientset()
				storeReleases(t, driver.NewSecrets(cs.CoreV1().Secrets("elsewhere")), shopRelease(t, "web", "elsewhere", 1, rcommon.StatusDeployed))
				return &sources.Cluster{Client: cs}
			},
			want: `release "web" not found in namespace "shop": looked in Helm's release storage in Secrets and ConfigMaps`,
		},
		{
			name: "no deployed revision",
			cluster: func(t *testing.T) *sources.Cluster {
				cs := fake.NewClientset()
				storeReleases(t, driver.NewSecrets(cs.CoreV1().Secrets("shop")),
					shopRelease(t, "web", "shop", 1, rcommon.StatusFailed),
					shopRelease(t, "web", "shop", 2, rcommon.StatusPendingInstall))
				return &sources.Cluster{Client: cs}
			},
			want: `release "web" has no deployed revision in Secrets: revision 2 is pending-install, revision 1 is failed`,
		},
		{
			name: "forbidden",
			cluster: func(t *testing.T) *sources.Cluster {
				cs := fake.NewClientset()
				cs.PrependReactor("list", "secrets", forbidden("secrets"))
				return &sources.Cluster{Client: cs}
			},
			want: `release "web" not found in namespace "shop": looked in Helm's release storage in Secrets and ConfigMaps; ` +
				`cannot look in Secrets: reading a release needs "list" permission on secrets in namespace "shop": ` +
				`secrets is forbidden: User "reader" cannot list resource "secrets" in API group "" in the namespace "shop"`,
		},
		{
			name: "forbidden everywhere",
			cluster: func(t *testing.T) *sources.Cluster {
				cs := fake.NewClientset()
				cs.PrependReactor("list", "secrets", forbidden("secrets"))
				cs.PrependReactor("list", "configmaps", forbidden("configmaps"))
				return &sources.Cluster{Client: cs}
			},
			want: `release "web" not found in namespace "shop": looked in Helm's release storage in Secrets and ConfigMaps; ` +
				`cannot look in Secrets: reading a release needs "list" permission on secrets in namespace "shop": ` +
				`secrets is forbidden: User "reader" cannot list resource "secrets" in API group "" in the namespace "shop"; ` +
				`cannot look in ConfigMaps: reading a release needs "list" permission on configmaps in namespace "shop": ` +
				`configmaps is forbidden: User "reader" cannot list resource "configmaps" in API group "" in the namespace "shop"`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			manifests, errs := sources.LoadRelease(context.Background(), tt.cluster(t), "shop", "web")
			if len(manifests) > 0 {
				t.Errorf("loaded %d objects despite the error", len(manifests))
			}
			assertHelmErrors(t, errs, sources.Origin{Source: sources.Source{Kind: sources.SourceRelease, Name: "shop/web"}}, tt.want)
		})
	}
}

func TestLoadReleaseSecretsForbiddenConfigMapsAllowed(t *testing.T) {
	// Whoever may not list Secrets may still read a release kept in
	// ConfigMaps.
	cs := fake.NewClientset()
	cs.PrependReactor("list", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "", errors.New("no"))
	})
	storeReleases(t, driver.NewConfigMaps(cs.CoreV1().ConfigMaps("shop")), shopRelease(t, "web", "shop", 1, rcommon.StatusDeployed))
	manifests, errs := sources.LoadRelease(context.Background(), &sources.Cluster{Client: cs}, "shop", "web")
	if len(errs) > 0 || len(manifests) == 0 {
		t.Fatalf("%d objects, errors %v", len(manifests), errs)
	}
}

func TestLoadReadsReleases(t *testing.T) {
	// Load reads each release in its namespace, beside the other sources.
	cs := fake.NewClientset()
	storeReleases(t, driver.NewSecrets(cs.CoreV1().Secrets("shop")), shopRelease(t, "web", "shop", 1, rcommon.StatusDeployed))
	manifests, errs := sources.Load(context.Background(), sources.Options{
		Releases:  []string{"web", "gone"},
		Namespace: "shop",
		Cluster:   &sources.Cluster{Client: cs},
	})
	if len(manifests) != 5 {
		t.Errorf("%d objects, want the 5 of release web\n%s", len(manifests), strings.Join(rendered(manifests), "\n"))
	}
	assertHelmErrors(t, errs, sources.Origin{Source: sources.Source{Kind: sources.SourceRelease, Name: "shop/gone"}},
		`release "gone" not found in namespace "shop": looked in Helm's release storage in Secrets and ConfigMaps`)
}
