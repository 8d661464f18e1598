package drift

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// fromYAML parses one object, with integers as int64 as a client would
// decode them.
func fromYAML(t *testing.T, text string) *unstructured.Unstructured {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(j); err != nil {
		t.Fatalf("decode %q: %v", text, err)
	}
	return obj
}

// fromYAMLOrNil is fromYAML, with "" for a nil object.
func fromYAMLOrNil(t *testing.T, text string) *unstructured.Unstructured {
	t.Helper()
	if text == "" {
		return nil
	}
	return fromYAML(t, text)
}

// Secret values the masking tests use. Each is distinct and appears nowhere
// in the placeholders or the objects' other fields.
const (
	valueA      = "c2VjcmV0LWFscGhh"    // base64 of secret-alpha
	valueB      = "c2VjcmV0LWJyYXZv"    // base64 of secret-bravo
	plainA      = "plain-charlie-value" // a stringData value
	plainB      = "plain-delta-value"
	appliedA    = `{"apiVersion":"v1","data":{"password":"c2VjcmV0LWFscGhh"},"kind":"Secret"}`
	appliedB    = `{"apiVersion":"v1","data":{"password":"c2VjcmV0LWJyYXZv"},"kind":"Secret"}`
	appliedNote = "kubectl.kubernetes.io/last-applied-configuration"
)

func TestMaskSecrets(t *testing.T) {
	tests := []struct {
		name string
		// live and want are YAML, "" for nil; wantLive and wantWant are
		// what maskSecrets must leave in them.
		live, want         string
		wantLive, wantWant string
		// secrets must not appear in either side afterwards.
		secrets []string
	}{
		{
			name: "equal values",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: ` + valueA + `}}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: ` + valueA + `}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: "***"}}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: "***"}}`,
			secrets:  []string{valueA},
		},
		{
			name: "changed value",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: ` + valueA + `, user: ` + valueB + `}}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: ` + valueB + `, user: ` + valueB + `}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: "*** (12 bytes, before)", user: "***"}}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: "*** (12 bytes, after)", user: "***"}}`,
			secrets:  []string{valueA, valueB},
		},
		{
			name: "key only in live",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {old: ` + valueA + `, kept: ` + valueB + `}}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {kept: ` + valueB + `}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {old: "***", kept: "***"}}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {kept: "***"}}`,
			secrets:  []string{valueA, valueB},
		},
		{
			name: "key only in want",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {kept: ` + valueB + `}}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {new: ` + valueA + `, kept: ` + valueB + `}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {kept: "***"}}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {new: "***", kept: "***"}}`,
			secrets:  []string{valueA, valueB},
		},
		{
			name: "data on one side only",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: ` + valueA + `}}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: "***"}}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s}}`,
			secrets:  []string{valueA},
		},
		{
			name: "stringData equal, changed, one side only",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s},
				stringData: {same: ` + plainA + `, changed: ` + plainA + `, gone: ` + plainB + `}}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s},
				stringData: {same: ` + plainA + `, changed: ` + plainB + `, added: ` + plainA + `}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s},
				stringData: {same: "***", changed: "*** (19 bytes, before)", gone: "***"}}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s},
				stringData: {same: "***", changed: "*** (17 bytes, after)", added: "***"}}`,
			secrets: []string{plainA, plainB},
		},
		{
			name: "data and stringData are masked apart",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {k: ` + valueA + `}}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {k: ` + plainA + `}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {k: "***"}}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {k: "***"}}`,
			secrets:  []string{valueA, plainA},
		},
		{
			name: "values that are not strings",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {port: 8080, same: 1, flag: true}}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {port: 9090, same: 1, flag: true}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {port: "*** (5 bytes, before)", same: "***", flag: "***"}}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {port: "*** (5 bytes, after)", same: "***", flag: "***"}}`,
			secrets:  []string{"8080", "9090"},
		},
		{
			name: "last-applied annotation the same",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {team: shop, ` + appliedNote + `: '` + appliedA + `'}}}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {team: shop, ` + appliedNote + `: '` + appliedA + `'}}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {team: shop, ` + appliedNote + `: "***"}}}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {team: shop, ` + appliedNote + `: "***"}}}`,
			secrets:  []string{valueA},
		},
		{
			name: "last-applied annotation changed",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: '` + appliedA + `'}}}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: '` + appliedB + `'}}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: "*** (74 bytes, before)"}}}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: "*** (74 bytes, after)"}}}`,
			secrets:  []string{valueA, valueB},
		},
		{
			name: "last-applied annotation only in live",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: '` + appliedA + `'}}}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {team: shop}}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: "***"}}}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {team: shop}}}`,
			secrets:  []string{valueA},
		},
		{
			name: "last-applied annotation only in want",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s}}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: '` + appliedB + `'}}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s}}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: "***"}}}`,
			secrets:  []string{valueB},
		},
		{
			name: "missing live object",
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: '` + appliedA + `'}},
				data: {password: ` + valueA + `}, stringData: {token: ` + plainA + `}}`,

			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: "***"}},
				data: {password: "***"}, stringData: {token: "***"}}`,
			secrets: []string{valueA, plainA},
		},
		{
			name: "missing want object",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: ` + valueA + `}}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {password: "***"}}`,
			secrets:  []string{valueA},
		},
		{
			name: "both missing",
		},
		{
			name: "Secret without values",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s}, type: Opaque}`,
			want: `{apiVersion: v1, kind: Secret, metadata: {name: s}, type: Opaque}`,

			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s}, type: Opaque}`,
			wantWant: `{apiVersion: v1, kind: Secret, metadata: {name: s}, type: Opaque}`,
		},
		{
			name: "ConfigMap untouched",
			live: `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, annotations: {` + appliedNote + `: '{"a":"1"}'}}, data: {a: "1"}}`,
			want: `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, annotations: {` + appliedNote + `: '{"a":"2"}'}}, data: {a: "2"}}`,

			wantLive: `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, annotations: {` + appliedNote + `: '{"a":"1"}'}}, data: {a: "1"}}`,
			wantWant: `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, annotations: {` + appliedNote + `: '{"a":"2"}'}}, data: {a: "2"}}`,
		},
		{
			name: "Secret kind of another group untouched",
			live: `{apiVersion: example.com/v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: x}}, data: {a: one}}`,
			want: `{apiVersion: example.com/v1, kind: Secret, metadata: {name: s}, data: {a: two}, stringData: {b: three}}`,

			wantLive: `{apiVersion: example.com/v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: x}}, data: {a: one}}`,
			wantWant: `{apiVersion: example.com/v1, kind: Secret, metadata: {name: s}, data: {a: two}, stringData: {b: three}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, want := fromYAMLOrNil(t, tt.live), fromYAMLOrNil(t, tt.want)
			maskSecrets(live, want)

			if wantLive := fromYAMLOrNil(t, tt.wantLive); !equality.Semantic.DeepEqual(live, wantLive) {
				t.Errorf("live after masking:\n%s\nwant:\n%s", toYAML(live), toYAML(wantLive))
			}
			if wantWant := fromYAMLOrNil(t, tt.wantWant); !equality.Semantic.DeepEqual(want, wantWant) {
				t.Errorf("want after masking:\n%s\nwant:\n%s", toYAML(want), toYAML(wantWant))
			}
			for _, secret := range tt.secrets {
				for side, text := range map[string]string{"live": toYAML(live), "want": toYAML(want)} {
					if strings.Contains(text, secret) {
						t.Errorf("%s still shows %q:\n%s", side, secret, text)
					}
				}
			}
		})
	}
}

// TestMaskSecretsKeepsDrift checks that masking neither hides a change nor
// invents one: after masking, the two sides render equal exactly when they
// were equal before.
func TestMaskSecretsKeepsDrift(t *testing.T) {
	const secret = `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {` + appliedNote + `: '%s'}}, data: {password: %s}}`
	tests := []struct {
		name          string
		live, want    string
		wantDifferent bool
	}{
		{"same", fmt.Sprintf(secret, appliedA, valueA), fmt.Sprintf(secret, appliedA, valueA), false},
		{"value changed", fmt.Sprintf(secret, appliedA, valueA), fmt.Sprintf(secret, appliedA, valueB), true},
		{"annotation changed", fmt.Sprintf(secret, appliedA, valueA), fmt.Sprintf(secret, appliedB, valueA), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, want := fromYAML(t, tt.live), fromYAML(t, tt.want)
			maskSecrets(live, want)
			if different := toYAML(live) != toYAML(want); different != tt.wantDifferent {
				t.Errorf("sides differ after masking: %v, want %v\nlive:\n%s\nwant:\n%s",
					different, tt.wantDifferent, toYAML(live), toYAML(want))
			}
		})
	}
}

func TestStripped(t *testing.T) {
	// kept holds fields that look like server fields but are not the ones
	// stripped: they must survive.
	const kept = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  generateName: web-
  labels: {app: web}
  annotations: {uid: not-a-server-field, generation: "7"}
  finalizers: [example.com/keep]
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: 0a1b}]
spec:
  replicas: 3
  status: a field named status below the top level
  template:
    metadata: {creationTimestamp: null, labels: {app: web}}
`
	tests := []struct {
		name  string
		extra string // YAML merged into kept before stripping
	}{
		{"nothing to strip", `{}`},
		{"status", `{status: {replicas: 3, readyReplicas: 2}}`},
		{"managedFields", `{metadata: {managedFields: [{manager: kubectl, operation: Apply, fieldsType: FieldsV1, fieldsV1: {f:spec: {}}}]}}`},
		{"resourceVersion", `{metadata: {resourceVersion: "4711"}}`},
		{"uid", `{metadata: {uid: 6b1f6a34-0c38-4bd0-9d47-5c9a1f4f2a10}}`},
		{"generation", `{metadata: {generation: 4}}`},
		{"creationTimestamp", `{metadata: {creationTimestamp: "2024-05-01T10:00:00Z"}}`},
		{"selfLink", `{metadata: {selfLink: /apis/apps/v1/namespaces/shop/deployments/web}}`},
		{"all of them", `{status: {replicas: 3}, metadata: {managedFields: [{manager: m}], resourceVersion: "1",
			uid: u, generation: 2, creationTimestamp: "2024-05-01T10:00:00Z", selfLink: /x}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fromYAML(t, kept)
			merge(in.Object, yamlMap(t, tt.extra))
			before := in.DeepCopy()

			got := stripped(in)

			if want := fromYAML(t, kept); !equality.Semantic.DeepEqual(got, want) {
				t.Errorf("stripped:\n%s\nwant:\n%s", toYAML(got), toYAML(want))
			}
			if !equality.Semantic.DeepEqual(in, before) {
				t.Errorf("stripped changed its input:\n%s\nwas:\n%s", toYAML(in), toYAML(before))
			}
			if got == in {
				t.Error("stripped returned its input instead of a copy")
			}
			// The copy must not share maps with the input either.
			got.SetLabels(map[string]string{"changed": "yes"})
			if !equality.Semantic.DeepEqual(in, before) {
				t.Error("changing the result changed the input")
			}
		})
	}
	if got := stripped(nil); got != nil {
		t.Errorf("stripped(nil) = %v, want nil", got)
	}
}

// yamlMap parses YAML into a map, with integers as int64.
func yamlMap(t *testing.T, text string) map[string]any {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	var m map[string]any
	if err := utiljson.Unmarshal(j, &m); err != nil {
		t.Fatalf("decode %q: %v", text, err)
	}
	return m
}

// merge copies src into dst, merging maps key by key.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

func TestToYAML(t *testing.T) {
	tests := []struct {
		name string
		obj  *unstructured.Unstructured
		want string
	}{
		{"nil", nil, ""},
		{
			"keys sorted, integers plain",
			fromYAML(t, `{kind: ConfigMap, apiVersion: v1, metadata: {name: c}, data: {b: "2", a: "1"}, replicas: 3}`),
			"apiVersion: v1\ndata:\n  a: \"1\"\n  b: \"2\"\nkind: ConfigMap\nmetadata:\n  name: c\nreplicas: 3\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toYAML(tt.obj); got != tt.want {
				t.Errorf("toYAML = %q, want %q", got, tt.want)
			}
		})
	}
}
