package drift

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// refusedBecause lists the rules of the API server's validation that want,
// the outcome of an offline merge, breaks, where they are cheap to check
// without the server, in the server's words ("spec.ports[1].name: Duplicate
// value: \"http\""): the same name twice among a Service's ports, or among a
// pod template's containers or volumes. A merge that breaks one is what a
// person changed by hand colliding with the manifest (a port renumbered,
// so that the manifest's is added beside it under the same name), which an
// apply cannot put right; offline mode says so rather than judge a state
// the server would refuse.
func refusedBecause(want *unstructured.Unstructured) []string {
	gvk := want.GroupVersionKind()
	var out []string
	if gvk.Group == "" && gvk.Kind == "Service" {
		out = append(out, duplicateNames(want.Object, "spec", "ports")...)
	}
	if path := podSpecPath(gvk.Group, gvk.Kind); path != nil {
		for _, list := range []string{"containers", "initContainers", "volumes"} {
			out = append(out, duplicateNames(want.Object, append(path, list)...)...)
		}
	}
	return out
}

// podSpecPath is where a kind holds its pod's spec, or nil for a kind that
// holds none.
func podSpecPath(group, kind string) []string {
	switch {
	case group == "" && kind == "Pod":
		return []string{"spec"}
	case group == "apps" && (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "ReplicaSet"),
		group == "batch" && kind == "Job",
		group == "" && kind == "ReplicationController":
		return []string{"spec", "template", "spec"}
	case group == "batch" && kind == "CronJob":
		return []string{"spec", "jobTemplate", "spec", "template", "spec"}
	}
	return nil
}

// duplicateNames finds the elements of the list at path whose name an
// earlier element has.
func duplicateNames(obj map[string]any, path ...string) []string {
	list, _, _ := unstructured.NestedSlice(obj, path...)
	seen := map[string]bool{}
	var out []string
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		name, ok := m["name"].(string)
		if !ok || name == "" {
			continue
		}
		if seen[name] {
			out = append(out, fmt.Sprintf("%s[%d].name: Duplicate value: %s", strings.Join(path, "."), i, strconv.Quote(name)))
		}
		seen[name] = true
	}
	return out
}
