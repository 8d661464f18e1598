package drift

import "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

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
