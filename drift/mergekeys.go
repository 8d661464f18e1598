package drift

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// keyField is one field of a merge key.
type keyField struct {
	name string
	// fallback is the value the API server gives the field when a manifest
	// leaves it out, so that a desired port without a protocol matches the
	// live one with protocol TCP; nil when the field must be there.
	fallback any
}

// mergeKeys returns the merge keys that lists named field may have, in the
// order to try them. They are the keys the API server's own schema uses for
// these lists (so that a Change's path matches the k:{...} entries of
// managedFields):
//
//	containers, initContainers, ephemeralContainers, volumes, env,
//	imagePullSecrets, resourceClaims, schedulingGates      name
//	volumeMounts                                           mountPath
//	volumeDevices                                          devicePath
//	ports (a container's)                                  containerPort, protocol
//	ports (a Service's)                                    port, protocol
//	hostAliases                                            ip
//	topologySpreadConstraints                              topologyKey, whenUnsatisfiable
//	ownerReferences                                        uid
//	conditions                                             type
//
// Lists it does not name fall back to "name" (chooseMergeKey).
func mergeKeys(field string) [][]keyField {
	tcp := keyField{name: "protocol", fallback: "TCP"}
	switch field {
	case "containers", "initContainers", "ephemeralContainers", "volumes", "env",
		"imagePullSecrets", "resourceClaims", "schedulingGates":
		return [][]keyField{{{name: "name"}}}
	case "volumeMounts":
		return [][]keyField{{{name: "mountPath"}}}
	case "volumeDevices":
		return [][]keyField{{{name: "devicePath"}}}
	case "ports":
		return [][]keyField{{{name: "containerPort"}, tcp}, {{name: "port"}, tcp}}
	case "hostAliases":
		return [][]keyField{{{name: "ip"}}}
	case "topologySpreadConstraints":
		return [][]keyField{{{name: "topologyKey"}, {name: "whenUnsatisfiable"}}}
	case "ownerReferences":
		return [][]keyField{{{name: "uid"}}}
	case "conditions":
		return [][]keyField{{{name: "type"}}}
	}
	return nil
}

// mergeKey matches the elements of one list.
type mergeKey []keyField

// chooseMergeKey returns the first of the list's known merge keys, then
// "name", that every element of both sides has, with a value unique on its
// side; nil means the elements match by index.
func chooseMergeKey(field string, live, want []any) mergeKey {
	for _, k := range append(mergeKeys(field), []keyField{{name: "name"}}) {
		if mergeKey(k).fits(live) && mergeKey(k).fits(want) {
			return k
		}
	}
	return nil
}

// fits reports whether every element of list has the key, as scalars, and
// no two share its value.
func (k mergeKey) fits(list []any) bool {
	seen := make(map[string]bool, len(list))
	for _, e := range list {
		m := e.(map[string]any)
		for _, f := range k {
			v, ok := k.value(m, f)
			if !ok {
				return false
			}
			switch v.(type) {
			case map[string]any, []any, nil:
				return false
			}
		}
		id := k.id(m)
		if seen[id] {
			return false
		}
		seen[id] = true
	}
	return true
}

// value returns the element's value of key field f, or its fallback.
func (k mergeKey) value(m map[string]any, f keyField) (any, bool) {
	if v, ok := m[f.name]; ok {
		return v, true
	}
	return f.fallback, f.fallback != nil
}

// id returns the element's key as a string that is equal for equal keys.
func (k mergeKey) id(m map[string]any) string {
	parts := make([]string, len(k))
	for i, f := range k {
		v, _ := k.value(m, f)
		parts[i] = keyText(v)
	}
	b, _ := json.Marshal(parts)
	return string(b)
}

// seg returns the path segment that selects the element m.
func (k mergeKey) seg(m map[string]any) pathSeg {
	s := pathSeg{kind: segKey, keys: make([]keyValue, len(k))}
	for i, f := range k {
		v, _ := k.value(m, f)
		s.keys[i] = keyValue{name: f.name, text: keyText(v)}
	}
	return s
}

// keyText renders a scalar key value: a string as itself, a number or a
// boolean as JSON writes it.
func keyText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	}
	if n, ok := asNumber(v); ok {
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
