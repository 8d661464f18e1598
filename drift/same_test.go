package drift

import (
	"math"
	"testing"
)

// TestSameJSONAndSameValue: the two comparisons walk maps and lists alike
// and differ in their leaves and nulls: sameJSON as the values are written,
// sameValue by value.
func TestSameJSONAndSameValue(t *testing.T) {
	var nilMap map[string]any
	for _, tt := range []struct {
		name        string
		a, b        any
		json, value bool
	}{
		{"equal nested", map[string]any{"a": []any{int64(1), "x"}}, map[string]any{"a": []any{int64(1), "x"}}, true, true},
		{"other key", map[string]any{"a": int64(1)}, map[string]any{"b": int64(1)}, false, false},
		{"longer list", []any{"x"}, []any{"x", "y"}, false, false},
		{"list order", []any{"x", "y"}, []any{"y", "x"}, false, false},
		{"map and list", map[string]any{}, []any{}, false, false},
		{"3 and 3.0", int64(3), float64(3), true, true},
		{"nested 3 and 3.0", []any{int64(3)}, []any{float64(3)}, true, true},
		{"0 and -0", float64(0), math.Copysign(0, -1), false, true},
		{"null and nil map", nil, nilMap, true, false},
		{"nil map and {}", nilMap, map[string]any{}, false, true},
		{"string and number", "3", int64(3), false, false},
	} {
		if got := sameJSON(tt.a, tt.b); got != tt.json {
			t.Errorf("%s: sameJSON = %t, want %t", tt.name, got, tt.json)
		}
		if got := sameValue(tt.a, tt.b); got != tt.value {
			t.Errorf("%s: sameValue = %t, want %t", tt.name, got, tt.value)
		}
	}
}
