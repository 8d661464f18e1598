package cluster_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/kubedrift/kubedrift/cluster"
)

// changeTimeout bounds the wait for a Change that must come.
const changeTimeout = 10 * time.Second

// rootCA is the ConfigMap kube-controller-manager publishes into every
// namespace, whenever it gets round to it; its Changes are not the test's.
const rootCA = "kube-root-ca.crt"

// awaitChange reads changes until want arrives, and fails the test if it does
// not within changeTimeout. Other Changes on the way (a Deployment's status
// updates, say) are logged and skipped.
func awaitChange(t *testing.T, changes <-chan cluster.Change, want cluster.Change) {
	t.Helper()
	timeout := time.After(changeTimeout)
	for {
		select {
		case got, ok := <-changes:
			if !ok {
				t.Fatalf("the channel closed while waiting for %+v", want)
			}
			if got == want {
				return
			}
			t.Logf("skipped %+v while waiting for %+v", got, want)
		case <-timeout:
			t.Fatalf("no %+v within %v", want, changeTimeout)
		}
	}
}

func TestWatch(t *testing.T) {
	c := newClient(t)
	ns := realNamespace(t, "watch-live")
	kubectl(t, "", "create", "configmap", "before", "-n", ns, "--from-literal=k=v")

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	changes, err := c.Watch(ctx, []cluster.WatchTarget{
		{GVK: configMapGVK, Namespace: ns},
		{GVK: deploymentGVK, Namespace: ns},
		{GVK: configMapGVK, Namespace: ns}, // a duplicate is watched once
	}, func(err error) { t.Errorf("onError: %v", err) })
	if err != nil {
		t.Fatal(err)
	}

	// The objects of the initial list are not Changes.
	quiet := time.After(500 * time.Millisecond)
wait:
	for {
		select {
		case got := <-changes:
			if got.Name != rootCA {
				t.Errorf("a Change before anything changed: %+v", got)
			}
		case <-quiet:
			break wait
		}
	}

	kubectl(t, "", "label", "configmap", "before", "-n", ns, "touched=yes")
	awaitChange(t, changes, cluster.Change{GVK: configMapGVK, Namespace: ns, Name: "before"})

	kubectl(t, "", "create", "configmap", "after", "-n", ns)
	awaitChange(t, changes, cluster.Change{GVK: configMapGVK, Namespace: ns, Name: "after"})

	kubectl(t, strings.ReplaceAll(webDeployment, "NAMESPACE", ns), "apply")
	awaitChange(t, changes, cluster.Change{GVK: deploymentGVK, Namespace: ns, Name: "web"})

	kubectl(t, "", "delete", "configmap", "after", "-n", ns)
	awaitChange(t, changes, cluster.Change{GVK: configMapGVK, Namespace: ns, Name: "after", Deleted: true})

	cancel()
	timeout := time.After(changeTimeout)
	for {
		select {
		case _, ok := <-changes:
			if !ok {
				return // closed, as it should be
			}
		case <-timeout:
			t.Fatalf("the channel is still open %v after ctx ended", changeTimeout)
		}
	}
}

func TestWatchUnknownKind(t *testing.T) {
	gadget := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Gadget"}
	_, err := newClient(t).Watch(t.Context(), []cluster.WatchTarget{
		{GVK: configMapGVK, Namespace: "default"},
		{GVK: gadget, Namespace: "default"},
	}, nil)
	if !meta.IsNoMatchError(err) || !strings.Contains(err.Error(), "Gadget") {
		t.Errorf("Watch of an unknown kind: err = %v, want a no-match error naming Gadget", err)
	}
}

// A user who may not list the kind gets the error through onError, and Watch,
// which cannot sync, returns when ctx ends.
func TestWatchForbidden(t *testing.T) {
	cfg := rest.CopyConfig(tc.Admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "kubedrift-nobody"}
	c, err := cluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	reported := make(chan error, 1)
	_, err = c.Watch(ctx, []cluster.WatchTarget{{GVK: configMapGVK, Namespace: "default"}}, func(err error) {
		select {
		case reported <- err:
		default:
		}
		cancel()
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Watch = %v, want context.Canceled", err)
	}
	select {
	case err := <-reported:
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "ConfigMap") {
			t.Errorf("onError got %v, want a Forbidden error naming ConfigMap", err)
		}
	default:
		t.Error("onError was not called")
	}
}

// A kind watched in all namespaces and in one sends each Change once, and a
// cluster-scoped kind is watched cluster-wide whatever namespace it is given.
func TestWatchDeduplicates(t *testing.T) {
	c := newClient(t)
	ns := realNamespace(t, "watch-dedup")
	namespaceGVK := schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	changes, err := c.Watch(ctx, []cluster.WatchTarget{
		{GVK: configMapGVK, Namespace: ns},
		{GVK: configMapGVK},
		{GVK: namespaceGVK, Namespace: ns},
	}, func(err error) { t.Errorf("onError: %v", err) })
	if err != nil {
		t.Fatal(err)
	}

	kubectl(t, "", "label", "namespace", ns, "touched=yes")
	awaitChange(t, changes, cluster.Change{GVK: namespaceGVK, Name: ns})

	one := cluster.Change{GVK: configMapGVK, Namespace: ns, Name: "one"}
	kubectl(t, "", "create", "configmap", "one", "-n", ns)
	awaitChange(t, changes, one)
	kubectl(t, "", "create", "configmap", "two", "-n", ns)
	two := cluster.Change{GVK: configMapGVK, Namespace: ns, Name: "two"}
	timeout := time.After(changeTimeout)
	for {
		select {
		case got := <-changes:
			switch got {
			case one:
				t.Errorf("a second %+v: the namespace is watched twice", got)
			case two:
				return
			}
		case <-timeout:
			t.Fatalf("no %+v within %v", two, changeTimeout)
		}
	}
}
