package drift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubedrift/kubedrift/drift/ignore"
)

// Change is one field that differs between the live object and the desired
// state after a reconcile.
type Change struct {
	// Path names the field for people:
	// spec.template.spec.containers[name=web].image, metadata.labels.tier,
	// data["log-level"]. Map keys that are not identifiers are quoted; an
	// element of a list with a merge key is selected by its key fields
	// ([name=web], [containerPort=80,protocol=TCP]), of any other list by its
	// index ([0]).
	Path string
	// Pointer is the same field as an RFC 6901 JSON pointer, with the list
	// indexes of the live object, or of want when live lacks the element,
	// for tools and ignore rules.
	Pointer string
	// Live and Want are the values on each side, nil when the field is absent
	// on that side. They are copies: changing them changes no object.
	Live, Want any
	// Manager is the field manager that owns the field in the live object, ""
	// when none does (a field only desired, or one nobody tracks such as a
	// server default). Operation is its operation (Apply or Update) and Time
	// when that manager last wrote, zero if unknown (the API server records
	// no time for a manager whose only write went through the scale
	// subresource, as `kubectl scale` does). For a field absent from live
	// (removed by someone, or never there), the manager is the one that owns
	// the nearest enclosing field: the labels map a removed label was in,
	// the env list a variable was taken from, or the atomic list (such as
	// tolerations) an element is missing from.
	Manager, Operation string
	Time               time.Time
	// Conflict is true when the desired state sets the field and a manager
	// other than kubedrift owns it in live: a reconcile would have to force
	// it, taking the field from that manager. The owner of an enclosing
	// field is no conflict: adding a label takes nothing from the owner of
	// the other labels.
	Conflict bool

	// segs are Path's segments, as the comparison walked them; nil in a
	// Change made elsewhere, whose Path is parsed when they are needed.
	segs []pathSeg
}

// FieldChanges compares live and want, both already stripped of server
// fields and masked, and returns the leaf fields that differ. It returns nil
// when either is nil: a missing or an undesired object is a change as a
// whole, which the diff shows better than a list of every field.
//
// How values are compared and reported:
//   - Maps recurse to their leaves; a key on one side only is a change. A map
//     present on one side only is reported at its leaves too, so that each
//     change names one field a manager can own; an empty map or list facing
//     an absent one is one change at its own path.
//   - Lists whose elements are all maps are matched element by element: by
//     the merge key mergeKeys knows for the list's field name, else by "name"
//     when every element has a unique one, else by index. Reordering a list
//     with a key changes nothing. An element on one side only is one change
//     at the element's path, with the whole element as its value, since its
//     key is already in the path.
//   - Any other list (args, command, finalizers) is compared as a whole, at
//     the list's path.
//   - Numbers compare by value (3 == 3.0, as YAML and JSON may differ), and
//     resource quantities by amount (0.5 == 500m) where the field is one
//     (see isQuantityField); any other string compares exactly.
//
// The order is stable and follows the objects from top to bottom as the
// diff shows them: map keys in byte order, list elements in live's order
// followed by the elements only want has, in want's order.
func FieldChanges(live, want *unstructured.Unstructured) []Change {
	if live == nil || want == nil {
		return nil
	}
	w := &changeWalker{}
	w.walk(live.Object, want.Object, true, true)
	return w.changes
}

// String formats the change for a one-line report, with ages measured from
// now; see Describe.
func (c Change) String() string {
	return c.Describe(time.Now())
}

// Describe formats the change for a one-line report, with the age of the
// owner's last write measured from now:
//
//	spec.replicas: 5 -> 3 (live value by kubectl, 12m ago)
//	metadata.labels.tier: <none> -> "web" (not in live; enclosing field by kubectl-client-side-apply, 3h ago)
//
// Strings are quoted so that "3" and 3, or an empty string, read right; an
// absent value is <none>; long values are cut short, since the diff has them
// in full.
func (c Change) Describe(now time.Time) string {
	s := c.Path + ": " + describeValue(c.Live) + " -> " + describeValue(c.Want)
	if c.Manager == "" {
		return s
	}
	// Live is nil exactly when the manager was found on an enclosing
	// field: nobody owns a field that is not there.
	who := "live value by " + c.Manager
	if c.Live == nil {
		who = "not in live; enclosing field by " + c.Manager
	}
	if !c.Time.IsZero() {
		who += ", " + duration.HumanDuration(max(now.Sub(c.Time), 0)) + " ago"
	}
	return s + " (" + who + ")"
}

// maxValueLen is how many characters of a value Describe shows.
const maxValueLen = 60

// describeValue renders v as compact JSON, or <none> for an absent value.
func describeValue(v any) string {
	if v == nil {
		return "<none>"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// Images and commands hold <, > and &; HTML escapes would garble them.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	s := strings.TrimSuffix(b.String(), "\n")
	if r := []rune(s); len(r) > maxValueLen {
		s = string(r[:maxValueLen-3]) + "..."
	}
	return s
}

// changeWalker walks live and want side by side and collects their changes.
type changeWalker struct {
	// segs and pointer are the path to the value being compared.
	segs    []pathSeg
	pointer []string
	changes []Change
}

// walk compares the values at the current path. inLive and inWant say
// whether each side has the field at all.
func (w *changeWalker) walk(live, want any, inLive, inWant bool) {
	if !inLive && !inWant {
		return
	}
	liveMap, liveIsMap := live.(map[string]any)
	wantMap, wantIsMap := want.(map[string]any)
	liveList, liveIsList := live.([]any)
	wantList, wantIsList := want.([]any)
	switch {
	case (liveIsMap || !inLive) && (wantIsMap || !inWant):
		if (!inLive && len(wantMap) == 0) || (!inWant && len(liveMap) == 0) {
			w.emit(live, want, inLive, inWant)
			return
		}
		w.walkMap(liveMap, wantMap, inLive, inWant)
	case (liveIsList || !inLive) && (wantIsList || !inWant):
		w.walkList(liveList, wantList, inLive, inWant)
	case inLive && inWant && w.sameLeaf(live, want):
		// Equal scalars: nothing to report.
	default:
		w.emit(live, want, inLive, inWant)
	}
}

// walkMap compares two maps, either of which may be absent, key by key.
func (w *changeWalker) walkMap(live, want map[string]any, inLive, inWant bool) {
	keys := make([]string, 0, len(live)+len(want))
	for k := range live {
		keys = append(keys, k)
	}
	for k := range want {
		if _, ok := live[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		lv, lok := live[k]
		wv, wok := want[k]
		w.push(pathSeg{kind: segField, field: k}, k)
		w.walk(lv, wv, lok && inLive, wok && inWant)
		w.pop()
	}
}

// walkList compares two lists, either of which may be absent: lists of maps
// element by element, matched as chooseMergeKey says, other lists whole.
func (w *changeWalker) walkList(live, want []any, inLive, inWant bool) {
	if !allMaps(live) || !allMaps(want) || len(live)+len(want) == 0 {
		// A list of scalars is one value, as is an empty list facing an
		// absent one: there is no element to name.
		if !inLive || !inWant || !sameValue(live, want) {
			w.emit(live, want, inLive, inWant)
		}
		return
	}
	key := chooseMergeKey(w.listField(), live, want)
	if key == nil {
		for i := range max(len(live), len(want)) {
			w.push(pathSeg{kind: segIndex, index: i}, strconv.Itoa(i))
			switch {
			case i < len(live) && i < len(want):
				w.walk(live[i], want[i], true, true)
			case i < len(live):
				w.emit(live[i], nil, true, false)
			default:
				w.emit(nil, want[i], false, true)
			}
			w.pop()
		}
		return
	}
	wantAt := make(map[string]int, len(want))
	for j, e := range want {
		wantAt[key.id(e.(map[string]any))] = j
	}
	inLiveToo := make(map[string]bool, len(live))
	for i, e := range live {
		m := e.(map[string]any)
		id := key.id(m)
		inLiveToo[id] = true
		w.push(key.seg(m), strconv.Itoa(i))
		if j, ok := wantAt[id]; ok {
			w.walk(m, want[j], true, true)
		} else {
			w.emit(m, nil, true, false)
		}
		w.pop()
	}
	for j, e := range want {
		m := e.(map[string]any)
		if inLiveToo[key.id(m)] {
			continue
		}
		w.push(key.seg(m), strconv.Itoa(j))
		w.emit(nil, m, false, true)
		w.pop()
	}
}

// listField returns the field name of the list being walked, "" for a list
// in a list.
func (w *changeWalker) listField() string {
	if n := len(w.segs); n > 0 && w.segs[n-1].kind == segField {
		return w.segs[n-1].field
	}
	return ""
}

// sameLeaf reports whether two values that are neither maps nor lists are
// equal, as quantities when the current field is one.
func (w *changeWalker) sameLeaf(live, want any) bool {
	if sameValue(live, want) {
		return true
	}
	if !isQuantityField(w.segs) {
		return false
	}
	a, aok := asQuantity(live)
	b, bok := asQuantity(want)
	return aok && bok && a.Cmp(b) == 0
}

func (w *changeWalker) emit(live, want any, inLive, inWant bool) {
	segs := slices.Clone(w.segs)
	c := Change{Path: formatPath(segs), Pointer: ignore.FormatPointer(w.pointer), segs: segs}
	if inLive {
		c.Live = copyValue(live)
	}
	if inWant {
		c.Want = copyValue(want)
	}
	w.changes = append(w.changes, c)
}

func (w *changeWalker) push(seg pathSeg, token string) {
	w.segs = append(w.segs, seg)
	w.pointer = append(w.pointer, token)
}

func (w *changeWalker) pop() {
	w.segs = w.segs[:len(w.segs)-1]
	w.pointer = w.pointer[:len(w.pointer)-1]
}

// sameElements compares a and b one level deep when a is a map or a list
// (nested): b must be of the same kind, maps with the same keys, lists of
// the same length, and their elements the same by same. Where a is neither,
// it leaves the comparing to its caller.
func sameElements(a, b any, same func(a, b any) bool) (equal, nested bool) {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false, true
		}
		for k, av := range a {
			if bv, ok := b[k]; !ok || !same(av, bv) {
				return false, true
			}
		}
		return true, true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false, true
		}
		for i := range a {
			if !same(a[i], b[i]) {
				return false, true
			}
		}
		return true, true
	}
	return false, false
}

// allMaps reports whether every element of list is a map.
func allMaps(list []any) bool {
	for _, e := range list {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// sameValue reports whether a and b are equal, numbers by value.
func sameValue(a, b any) bool {
	if same, nested := sameElements(a, b, sameValue); nested {
		return same
	}
	if x, ok := asNumber(a); ok {
		y, ok := asNumber(b)
		return ok && x == y
	}
	return a == b
}

// asNumber returns v as a float64 when it is a number. Integers of JSON
// objects fit a float64 exactly up to 2^53, far beyond any count or size a
// manifest holds.
func asNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	}
	return 0, false
}

// asQuantity parses v, a string or a number, as a resource quantity.
func asQuantity(v any) (resource.Quantity, bool) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	default:
		n, ok := asNumber(v)
		if !ok || math.IsNaN(n) || math.IsInf(n, 0) {
			return resource.Quantity{}, false
		}
		s = strconv.FormatFloat(n, 'f', -1, 64)
	}
	q, err := resource.ParseQuantity(s)
	return q, err == nil
}

// isQuantityField reports whether the field at segs holds a resource
// quantity: a value in a map of resources (a container's limits and
// requests, a ResourceQuota's hard, a LimitRange's max, min, default and
// defaultRequest, a pod's overhead, a volume's capacity) or an emptyDir's
// sizeLimit. Only there do "0.5" and "500m" mean the same.
func isQuantityField(segs []pathSeg) bool {
	n := len(segs)
	if n == 0 || segs[n-1].kind != segField {
		return false
	}
	if segs[n-1].field == "sizeLimit" {
		return true
	}
	if n < 2 || segs[n-2].kind != segField {
		return false
	}
	switch segs[n-2].field {
	case "limits", "requests", "hard", "overhead", "capacity", "allocatable",
		"max", "min", "default", "defaultRequest", "maxLimitRequestRatio":
		return true
	}
	return false
}

// copyValue returns a deep copy of a JSON-like value.
func copyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = copyValue(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}
