package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// applier is the field manager of the seeded objects: kubectl apply
// --server-side's.
const applier = "kubectl"

// seedWorkers is how many applies are in flight at once while seeding.
const seedWorkers = 16

// resources maps the kinds the benchmark seeds to their resources.
var resources = map[string]schema.GroupVersionResource{
	"Namespace":                {Version: "v1", Resource: "namespaces"},
	"ServiceAccount":           {Version: "v1", Resource: "serviceaccounts"},
	"Role":                     {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"},
	"RoleBinding":              {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
	"ConfigMap":                configMaps,
	"Secret":                   secrets,
	"Deployment":               deployments,
	"Service":                  services,
	"Widget":                   widgets,
	"CustomResourceDefinition": {Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"},
}

// seeder puts the benchmark's applications into a cluster.
type seeder struct {
	dyn dynamic.Interface
	log func(format string, args ...any)
}

func newSeeder(cfg *rest.Config, log func(string, ...any)) (*seeder, error) {
	cfg = rest.CopyConfig(cfg)
	// The harness's own requests are no part of what is measured: let them
	// go as fast as the server takes them.
	cfg.QPS, cfg.Burst = 2000, 4000
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &seeder{dyn: dyn, log: log}, nil
}

// seed installs the Widget CRD and applies objs, Namespaces first, as
// kubectl apply --server-side would, then waits for the controllers to be
// done with them.
func (s *seeder) seed(ctx context.Context, objs []*unstructured.Unstructured) error {
	start := time.Now()
	var crd unstructured.Unstructured
	if err := yaml.Unmarshal([]byte(crdYAML), &crd.Object); err != nil {
		return fmt.Errorf("read the Widget CRD: %w", err)
	}
	if err := s.apply(ctx, &crd); err != nil {
		return err
	}
	if err := s.waitServed(ctx); err != nil {
		return err
	}
	var namespaces, others []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			namespaces = append(namespaces, o)
		} else {
			others = append(others, o)
		}
	}
	for _, batch := range [][]*unstructured.Unstructured{namespaces, others} {
		if err := s.applyAll(ctx, batch); err != nil {
			return err
		}
	}
	s.log("applied %d objects in %s", len(objs), time.Since(start).Round(time.Millisecond))
	return s.settle(ctx, len(namespaces))
}

// drift makes the edits, then waits for the controllers to be done with
// them.
func (s *seeder) drift(ctx context.Context, edits []edit, apps int) error {
	for _, e := range edits {
		if err := e.do(ctx, s.dyn); err != nil {
			return fmt.Errorf("drift %s: %w", e.ref, err)
		}
	}
	s.log("drifted %d objects", len(edits))
	return s.settle(ctx, apps)
}

func (s *seeder) apply(ctx context.Context, obj *unstructured.Unstructured) error {
	gvr, ok := resources[obj.GetKind()]
	if !ok {
		return fmt.Errorf("seed %s %s: no resource known for the kind", obj.GetKind(), obj.GetName())
	}
	var ri dynamic.ResourceInterface = s.dyn.Resource(gvr)
	if ns := obj.GetNamespace(); ns != "" {
		ri = s.dyn.Resource(gvr).Namespace(ns)
	}
	if _, err := ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: applier}); err != nil {
		return fmt.Errorf("seed %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// applyAll applies objs, seedWorkers at a time, and returns the first error.
func (s *seeder) applyAll(ctx context.Context, objs []*unstructured.Unstructured) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan *unstructured.Unstructured)
	var wg sync.WaitGroup
	for range seedWorkers {
		wg.Go(func() {
			for obj := range jobs {
				if err := s.apply(ctx, obj); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, obj := range objs {
		select {
		case jobs <- obj:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx)
}

// waitServed waits until Widgets can be listed.
func (s *seeder) waitServed(ctx context.Context) error {
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := s.dyn.Resource(widgets).List(ctx, metav1.ListOptions{Limit: 1})
		return err == nil, nil
	})
	if err != nil {
		return fmt.Errorf("wait for the Widget CRD: %w", err)
	}
	return nil
}

// settle waits until kube-controller-manager is done with the benchmark's
// namespaces: every Deployment rolled out as far as it can (no kubelet runs
// its pods), every ReplicaSet with its pods, and every namespace with its
// default ServiceAccount and root CA ConfigMap. A measurement taken while
// the controllers still write would measure them too.
func (s *seeder) settle(ctx context.Context, apps int) error {
	start := time.Now()
	last := ""
	err := wait.PollUntilContextTimeout(ctx, time.Second, 20*time.Minute, true, func(ctx context.Context) (bool, error) {
		pending, err := s.pending(ctx, apps)
		if err != nil {
			return false, err
		}
		if pending != "" && pending != last && time.Since(start) > 5*time.Second {
			s.log("waiting for kube-controller-manager: %s", pending)
			last = pending
		}
		return pending == "", nil
	})
	if err != nil {
		return fmt.Errorf("wait for kube-controller-manager: %w", err)
	}
	s.log("controllers settled in %s", time.Since(start).Round(time.Second))
	// What the controllers write next (an event, a lease) is no object of
	// the benchmark's kinds; a moment for the last writes to land.
	time.Sleep(2 * time.Second)
	return nil
}

// pending says what the controllers have still to do, "" when nothing.
func (s *seeder) pending(ctx context.Context, apps int) (string, error) {
	var todo []string
	count := func(gvr schema.GroupVersionResource, what string, done func(*unstructured.Unstructured) bool, want int) error {
		list, err := s.dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		n, total := 0, 0
		for i := range list.Items {
			if !strings.HasPrefix(list.Items[i].GetNamespace(), "bench-") {
				continue
			}
			total++
			if done(&list.Items[i]) {
				n++
			}
		}
		if want < 0 {
			want = total
		}
		if n < want {
			todo = append(todo, fmt.Sprintf("%d of %d %s", n, want, what))
		}
		return nil
	}
	observed := func(o *unstructured.Unstructured) bool {
		g, _, _ := unstructured.NestedInt64(o.Object, "status", "observedGeneration")
		return g == o.GetGeneration()
	}
	steps := []func() error{
		func() error {
			return count(deployments, "Deployments rolled out", func(o *unstructured.Unstructured) bool {
				_, ok := o.GetAnnotations()["deployment.kubernetes.io/revision"]
				return ok && observed(o)
			}, -1)
		},
		func() error {
			return count(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}, "ReplicaSets with their pods", func(o *unstructured.Unstructured) bool {
				want, _, _ := unstructured.NestedInt64(o.Object, "spec", "replicas")
				have, _, _ := unstructured.NestedInt64(o.Object, "status", "replicas")
				return observed(o) && want == have
			}, -1)
		},
		func() error {
			return count(configMaps, "root CA ConfigMaps", func(o *unstructured.Unstructured) bool { return o.GetName() == "kube-root-ca.crt" }, apps)
		},
		func() error {
			return count(resources["ServiceAccount"], "default ServiceAccounts", func(o *unstructured.Unstructured) bool { return o.GetName() == "default" }, apps)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return "", err
		}
	}
	return strings.Join(todo, ", "), nil
}
