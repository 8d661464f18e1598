package drift

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// daemonSetTemplateGeneration is the annotation the API server bumps on a
// DaemonSet whose pod template an update changes, for controllers of old.
const daemonSetTemplateGeneration = "deprecated.daemonset.template.generation"

// undoSideEffects puts back into want, a dry run's answer that is its own,
// the fields that the server changed only because want was applied, not
// because the manifest asks for them: after `kubectl set image` on a
// DaemonSet, the dry run that puts the image back also bumps
// deprecated.daemonset.template.generation, which is no one's drift and
// would otherwise be a second drifted field and the row's summary.
func undoSideEffects(live, want *unstructured.Unstructured) {
	if live == nil || want == nil || live == want {
		return
	}
	if gvk := want.GroupVersionKind(); gvk.Group != "apps" || gvk.Kind != "DaemonSet" {
		return
	}
	liveValue, inLive, _ := unstructured.NestedString(live.Object, "metadata", "annotations", daemonSetTemplateGeneration)
	if _, inWant, _ := unstructured.NestedString(want.Object, "metadata", "annotations", daemonSetTemplateGeneration); !inWant {
		return
	}
	if inLive {
		_ = unstructured.SetNestedField(want.Object, liveValue, "metadata", "annotations", daemonSetTemplateGeneration)
		return
	}
	unstructured.RemoveNestedField(want.Object, "metadata", "annotations", daemonSetTemplateGeneration)
}

// dropAllocated takes out of want, the dry run's answer for desired, which
// is not in the cluster, the values that the server allocates only when the
// object is really created: a Service's cluster IPs and node ports, which a
// dry run fills with placeholders (clusterIP: 10.0.0.0) that the created
// Service would not have. What the manifest sets itself stays.
func dropAllocated(want, desired *unstructured.Unstructured) {
	if want == nil || want == desired {
		return
	}
	if gvk := want.GroupVersionKind(); gvk.Group != "" || gvk.Kind != "Service" {
		return
	}
	for _, field := range []string{"clusterIP", "clusterIPs", "healthCheckNodePort"} {
		if _, set, _ := unstructured.NestedFieldNoCopy(desired.Object, "spec", field); !set {
			unstructured.RemoveNestedField(want.Object, "spec", field)
		}
	}
	ports, _, _ := unstructured.NestedSlice(want.Object, "spec", "ports")
	desiredPorts, _, _ := unstructured.NestedSlice(desired.Object, "spec", "ports")
	for i, p := range ports {
		port, ok := p.(map[string]any)
		if !ok || setsNodePort(desiredPorts, port) {
			continue
		}
		delete(port, "nodePort")
		ports[i] = port
	}
	if ports != nil {
		_ = unstructured.SetNestedSlice(want.Object, ports, "spec", "ports")
	}
}

// setsNodePort reports whether the desired ports give the port that the
// answer's port is (by port number and protocol) a nodePort of its own.
func setsNodePort(desired []any, port map[string]any) bool {
	protocol := func(p map[string]any) any {
		if v, ok := p["protocol"]; ok {
			return v
		}
		return "TCP"
	}
	for _, d := range desired {
		dp, ok := d.(map[string]any)
		if !ok {
			continue
		}
		if fmt.Sprint(dp["port"]) == fmt.Sprint(port["port"]) && protocol(dp) == protocol(port) {
			_, set := dp["nodePort"]
			return set
		}
	}
	return false
}
