package main

import (
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/kube-openapi/pkg/common"
)

// set sets the scalar at steps below v to value.
func set(v reflect.Value, steps []int, value any) {
	for _, s := range steps {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		if s < 0 {
			if v.Len() == 0 {
				v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			}
			v = v.Index(0)
		} else {
			v = v.Field(s)
		}
	}
	if value == absent {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	if v.Kind() == reflect.Pointer {
		v.Set(reflect.New(v.Type().Elem()))
		v = v.Elem()
	}
	if v.Type() == intOrString {
		switch x := value.(type) {
		case int:
			v.Set(reflect.ValueOf(intstr.FromInt32(int32(x))))
		case string:
			v.Set(reflect.ValueOf(intstr.FromString(x)))
		}
		return
	}
	x := reflect.ValueOf(value)
	v.Set(x.Convert(v.Type()))
}

// prober builds probe objects and records their scalar slots.
type prober struct {
	defs  map[string]common.OpenAPIDefinition
	slots []slot
	// seen guards against types that hold themselves.
	seen []reflect.Type
}

var (
	// opaque are the types the probe leaves as they are: scalars in JSON,
	// or metadata, which no defaulter sets.
	opaque = map[reflect.Type]bool{
		reflect.TypeOf(metav1.ObjectMeta{}):         true,
		reflect.TypeOf(metav1.TypeMeta{}):           true,
		reflect.TypeOf(metav1.Time{}):               true,
		reflect.TypeOf(metav1.MicroTime{}):          true,
		reflect.TypeOf(metav1.Duration{}):           true,
		reflect.TypeOf(resource.Quantity{}):         true,
		reflect.TypeOf(runtime.RawExtension{}):      true,
		reflect.TypeOf(metav1.FieldsV1{}):           true,
		reflect.TypeOf(intstr.IntOrString{}):        true,
		reflect.TypeOf(metav1.ManagedFieldsEntry{}): true,
	}
	intOrString = reflect.TypeOf(intstr.IntOrString{})
	// Values some defaulters switch on that OpenAPI declares no enum for
	// (an RBAC subject's kind), and image references of each kind of tag.
	extraStrings = []any{"User", "Group", "ServiceAccount"}
	images       = []any{"registry.example/app", "registry.example/app:latest", "registry.example:5000/app:1.0",
		"registry.example/app@sha256:" + strings.Repeat("0", 64)}
)

// fill fills the probe v of a struct, at JSON path and steps, recording its
// scalar slots; full allocates optional structs too.
func (p *prober) fill(v reflect.Value, path []string, steps []int, full bool) {
	t := v.Type()
	if slices.Contains(p.seen, t) {
		return
	}
	p.seen = append(p.seen, t)
	defer func() { p.seen = p.seen[:len(p.seen)-1] }()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		fpath := path
		if name != "" {
			fpath = append(slices.Clip(path), name)
		} else if !f.Anonymous {
			fpath = append(slices.Clip(path), f.Name)
		}
		p.value(v.Field(i), f.Type, fpath, append(slices.Clip(steps), i), full, t, name)
	}
}

// value fills the field fv of type ft, named name in the struct owner.
func (p *prober) value(fv reflect.Value, ft reflect.Type, path []string, steps []int, full bool, owner reflect.Type, name string) {
	if opaque[ft] {
		if ft == intOrString && full {
			p.record(path, steps, []any{31337, "probe-port"}, false)
		}
		return
	}
	switch ft.Kind() {
	case reflect.Struct:
		p.fill(fv, path, steps, full)
	case reflect.Pointer:
		et := ft.Elem()
		if et.Kind() == reflect.Struct {
			if opaque[et] || !full {
				if full && et == intOrString {
					p.record(path, steps, []any{31337, "probe-port"}, false)
				}
				return
			}
			fv.Set(reflect.New(et))
			p.record(path, steps, []any{absent}, false)
			p.fill(fv.Elem(), path, steps, full)
			return
		}
		if full {
			p.scalar(et, path, steps, owner, name)
		}
	case reflect.Slice:
		et := ft.Elem()
		if et.Kind() == reflect.Struct || (et.Kind() == reflect.Pointer && et.Elem().Kind() == reflect.Struct) {
			fv.Set(reflect.MakeSlice(ft, 1, 1))
			if full {
				p.record(path, steps, []any{absent}, false)
			}
			p.value(fv.Index(0), et, append(slices.Clip(path), "*"), append(slices.Clip(steps), -1), full, owner, "")
		}
	case reflect.Map:
		et := ft.Elem()
		if ft.Key().Kind() == reflect.String && et.Kind() == reflect.Struct {
			m := reflect.MakeMap(ft)
			e := reflect.New(et).Elem()
			// Map values cannot be set in place: their slots are not probed.
			saved := p.slots
			p.value(e, et, append(slices.Clip(path), "*"), nil, full, owner, "")
			p.slots = saved
			m.SetMapIndex(reflect.ValueOf(mapKey).Convert(ft.Key()), e)
			fv.Set(m)
		}
	default:
		if full {
			p.scalar(ft, path, steps, owner, name)
		}
	}
}

// scalar records the slot of a scalar field of type t.
func (p *prober) scalar(t reflect.Type, path []string, steps []int, owner reflect.Type, name string) {
	if steps == nil {
		return
	}
	switch t.Kind() {
	case reflect.String:
		values := p.enum(owner, name)
		image := name == "image" || (owner.Name() == "ImageVolumeSource" && name == "reference")
		switch {
		case image:
			values = images
		case len(values) == 0:
			values = append([]any{"probe-value"}, extraStrings...)
		}
		p.record(path, steps, values, image)
	case reflect.Int, reflect.Int32, reflect.Int64:
		p.record(path, steps, []any{31337}, false)
	case reflect.Bool:
		p.record(path, steps, []any{true, false}, false)
	}
}

func (p *prober) record(path []string, steps []int, values []any, image bool) {
	if steps != nil {
		p.slots = append(p.slots, slot{path: path, steps: steps, values: values, image: image})
	}
}

// enum returns the values OpenAPI allows for the field name of owner.
func (p *prober) enum(owner reflect.Type, name string) []any {
	named, ok := reflect.New(owner).Elem().Interface().(interface{ OpenAPIModelName() string })
	if !ok {
		return nil
	}
	def, ok := p.defs[named.OpenAPIModelName()]
	if !ok {
		return nil
	}
	return def.Schema.Properties[name].Enum
}
