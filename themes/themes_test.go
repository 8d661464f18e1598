package themes

import (
	"image/color"
	"reflect"
	"slices"
	"testing"
)

func TestBuiltinsSetEveryRole(t *testing.T) {
	for _, name := range Names() {
		th, ok := Builtin(name)
		if !ok {
			t.Fatalf("Builtin(%q) not found although Names lists it", name)
		}
		if th.Name != name {
			t.Errorf("Builtin(%q).Name = %q", name, th.Name)
		}
		for _, r := range roles {
			c := *r.field(&th)
			if r.name == backgroundRole {
				// Documented: built-ins leave the terminal background alone.
				if c != nil {
					t.Errorf("%s: background = %v, want nil", name, c)
				}
				continue
			}
			if c == nil {
				t.Errorf("%s: role %s is not set", name, r.name)
			}
		}
	}
}

// TestRolesCoverEveryColourField guards the roles table: a colour field added
// to Theme but not to the table could not be set from a theme file and would
// escape TestBuiltinsSetEveryRole.
func TestRolesCoverEveryColourField(t *testing.T) {
	var th Theme
	byAddr := map[*color.Color]string{}
	for _, r := range roles {
		p := r.field(&th)
		if prev, dup := byAddr[p]; dup {
			t.Errorf("roles %s and %s point at the same field", prev, r.name)
		}
		byAddr[p] = r.name
	}
	v := reflect.ValueOf(&th).Elem()
	colourType := reflect.TypeFor[color.Color]()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.Type != colourType {
			continue
		}
		p := v.Field(i).Addr().Interface().(*color.Color)
		if _, ok := byAddr[p]; !ok {
			t.Errorf("Theme.%s has no entry in roles", f.Name)
		}
	}
	if got, want := len(roles), len(byAddr); got != want {
		t.Errorf("%d roles but %d distinct fields", got, want)
	}
}

func TestRoleNamesAreDistinctAfterNormalizing(t *testing.T) {
	seen := map[string]string{}
	for _, n := range RoleNames() {
		k := normalize(n)
		if prev, dup := seen[k]; dup {
			t.Errorf("role names %q and %q collide", prev, n)
		}
		seen[k] = n
		if r, ok := lookupRole(n); !ok || r.name != n {
			t.Errorf("lookupRole(%q) = %q, %v", n, r.name, ok)
		}
	}
	for _, spelling := range []string{"inSync", "in-sync", "in_sync", "InSync", "IN SYNC", "yaml-key"} {
		if _, ok := lookupRole(spelling); !ok {
			t.Errorf("lookupRole(%q) not found", spelling)
		}
	}
}

func TestNames(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names() not sorted: %v", names)
	}
	for _, want := range []string{"dark", "light", "high-contrast", "catppuccin-mocha", "dracula"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() = %v, missing %q", names, want)
		}
	}
	if slices.Contains(names, PlainName) {
		t.Errorf("Names() lists %q, which is not a coloured theme", PlainName)
	}
}

func TestBuiltinLookup(t *testing.T) {
	if _, ok := Builtin("Dracula"); !ok {
		t.Error(`Builtin("Dracula") should match case-insensitively`)
	}
	if _, ok := Builtin("no-such-theme"); ok {
		t.Error(`Builtin("no-such-theme") found something`)
	}
	a, _ := Builtin("dark")
	a.Accent = color.Black
	b, _ := Builtin("dark")
	if b.Accent == color.Black {
		t.Error("changing a returned theme changed the built-in")
	}
}

func TestPlainHasNoColours(t *testing.T) {
	p := Plain()
	if p.Name != PlainName {
		t.Errorf("Plain().Name = %q, want %q", p.Name, PlainName)
	}
	for _, r := range roles {
		if c := *r.field(&p); c != nil {
			t.Errorf("Plain() role %s = %v, want nil", r.name, c)
		}
	}
}

func TestParseHex(t *testing.T) {
	good := map[string]color.RGBA{
		"#000000": {0, 0, 0, 0xff},
		"#ff8800": {0xff, 0x88, 0x00, 0xff},
		"#FF8800": {0xff, 0x88, 0x00, 0xff},
		"#f80":    {0xff, 0x88, 0x00, 0xff},
		"#aBc":    {0xaa, 0xbb, 0xcc, 0xff},
	}
	for in, want := range good {
		got, err := parseHex(in)
		if err != nil || got != want {
			t.Errorf("parseHex(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "#", "ff8800", "#ff880", "#ff88000", "#ggg", "#12345g", "red", " #fff"} {
		if c, err := parseHex(in); err == nil {
			t.Errorf("parseHex(%q) = %v, want an error", in, c)
		}
	}
}
