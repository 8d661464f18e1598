package drift

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// goneByDesign says why obj, which is not in the cluster, is where its own
// lifecycle put it, or "" when its absence is drift: a Job with
// ttlSecondsAfterFinished that the TTL controller removed once it finished,
// or a Helm hook that Helm deleted after it ran, as its hook-delete-policy
// asks. Creating either again would run it again: a database migration, a
// test, a notification.
func goneByDesign(obj *unstructured.Unstructured) string {
	gvk := obj.GroupVersionKind()
	if gvk.Group == "batch" && gvk.Kind == "Job" {
		if _, ttl, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec", "ttlSecondsAfterFinished"); ttl {
			return "completed and removed: its ttlSecondsAfterFinished has passed"
		}
	}
	annotations := obj.GetAnnotations()
	if annotations["helm.sh/hook"] == "" {
		return ""
	}
	for _, policy := range strings.Split(annotations["helm.sh/hook-delete-policy"], ",") {
		switch policy = strings.TrimSpace(policy); policy {
		case "hook-succeeded", "hook-failed":
			return "a Helm hook, deleted after it ran: its hook-delete-policy is " + policy
		}
	}
	return ""
}
