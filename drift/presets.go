package drift

import (
	"context"
	_ "embed"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubedrift/kubedrift/drift/ignore"
)

//go:embed presets.yaml
var presetsYAML []byte

// Preset is one of kubedrift's built-in rules: fields that controllers
// write on purpose after an install, spared where live and desired differ
// on them (Options.Presets).
type Preset struct {
	// Name is what reports call it: "webhook-ca-bundle".
	Name string
	// Description says what the fields are and who writes them.
	Description string
	// Rule is the preset as an ignore rule in .kubedrift.yaml's syntax.
	Rule string
}

// autoscaledReplicas is the preset that spares the replicas of a workload
// an autoscaler in the cluster targets; it has no rule of its own, since the
// autoscalers are found in the cluster.
const autoscaledReplicas = "autoscaled-replicas"

// Presets lists the built-in presets, in the order presets.yaml has them,
// and last autoscaled-replicas.
func Presets() []Preset {
	var out []Preset
	for _, r := range presetRules().All() {
		out = append(out, Preset{Name: r.Preset(), Description: r.Description(), Rule: r.String()})
	}
	return append(out, Preset{
		Name:        autoscaledReplicas,
		Description: "the replicas of a Deployment, StatefulSet or ReplicaSet that a HorizontalPodAutoscaler or a KEDA ScaledObject in the cluster targets",
		Rule:        "/spec/replicas of each workload an autoscaler targets, found from the autoscalers in its namespace",
	})
}

// presetRules parses presets.yaml, which a test holds valid.
func presetRules() *ignore.Rules {
	rules, err := ignore.ParsePresets("presets.yaml", presetsYAML)
	if err != nil {
		panic(fmt.Sprintf("drift: the built-in presets do not parse: %v", err))
	}
	return rules
}

// sparePresets takes the fields of the presets that match ref out of live
// and want, and returns those that the two held differently, each by its
// preset.
func sparePresets(presets *ignore.Rules, ref Ref, live, want *unstructured.Unstructured) []Spared {
	var out []Spared
	for _, rule := range presets.Matching(ref.IgnoreObject()) {
		out = append(out, spare(live, want, rule.Paths(), "preset "+rule.Preset())...)
	}
	return out
}

// workload names a scalable object an autoscaler may target.
type workload struct {
	group, kind, namespace, name string
}

// autoscalerKinds are the kinds of autoscaler whose targets' replicas are
// spared; each names its target in spec.scaleTargetRef.
func autoscalerKinds() []schema.GroupVersionKind {
	return []schema.GroupVersionKind{
		{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"},
		{Group: "keda.sh", Version: "v1alpha1", Kind: "ScaledObject"},
	}
}

// findAutoscaled lists the autoscalers in the namespaces of the desired
// workloads and returns, for each workload one targets, the autoscaler
// ("HorizontalPodAutoscaler shop/web"). A kind the cluster does not serve,
// or may not be listed, has no targets: then replicas are judged as any
// other field.
func (e *Engine) findAutoscaled(ctx context.Context, desired []Desired, run *checkRun) map[workload]string {
	namespaces := map[string]bool{}
	for _, d := range desired {
		gvk := d.Object.GroupVersionKind()
		if gvk.Group == "apps" && (gvk.Kind == "Deployment" || gvk.Kind == "StatefulSet" || gvk.Kind == "ReplicaSet") {
			namespaces[d.Object.GetNamespace()] = true
		}
	}
	var (
		mu    sync.Mutex
		found = map[workload]string{}
		wg    sync.WaitGroup
	)
	for _, gvk := range autoscalerKinds() {
		if _, err := e.live.Namespaced(gvk); err != nil {
			continue
		}
		for ns := range namespaces {
			// One list per namespace, all at once as far as the
			// requests in flight allow: they hold up the judging.
			wg.Go(func() {
				if !run.request(ctx) {
					return
				}
				list, err := e.live.List(ctx, gvk, ns)
				run.done()
				if err != nil {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for i := range list {
					if target, ok := scaleTarget(&list[i]); ok {
						found[target] = gvk.Kind + " " + list[i].GetNamespace() + "/" + list[i].GetName()
					}
				}
			})
		}
	}
	wg.Wait()
	return found
}

// scaleTarget returns the workload an autoscaler targets, by its
// spec.scaleTargetRef: apiVersion, kind and name, in its own namespace. A
// ScaledObject's kind defaults to Deployment and its apiVersion to apps/v1.
func scaleTarget(autoscaler *unstructured.Unstructured) (workload, bool) {
	ref, ok, _ := unstructured.NestedStringMap(autoscaler.Object, "spec", "scaleTargetRef")
	if !ok || ref["name"] == "" {
		return workload{}, false
	}
	apiVersion, kind := ref["apiVersion"], ref["kind"]
	if apiVersion == "" {
		apiVersion = "apps/v1"
	}
	if kind == "" {
		kind = "Deployment"
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return workload{}, false
	}
	return workload{group: gv.Group, kind: kind, namespace: autoscaler.GetNamespace(), name: ref["name"]}, true
}
