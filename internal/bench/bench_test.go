package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/sources"
)

// benchObjects is the size of the engine and loader benchmarks: the number
// of objects the memory target is set at.
const benchObjects = 10000

// BenchmarkCheck judges 10,000 desired objects against their live objects,
// 2.5% of them drifted, in each mode, with no I/O: the live objects are
// copies of real ones (testdata/live.json.gz) and a dry run answers at no
// cost, so that this measures the engine alone. Lists hand out fresh
// copies each time, as a client decodes them.
func BenchmarkCheck(b *testing.B) {
	live := liveObjects(b, benchObjects)
	manifests := Generate(benchObjects)
	f := newFakeCluster(live)
	f.answerAsOffline(b, manifests)
	for _, mode := range []drift.Mode{drift.ModeOffline, drift.ModeServer, drift.ModeAuto} {
		b.Run(string(mode), func(b *testing.B) {
			e := drift.NewEngine(f, f, drift.Options{Mode: mode, Workers: 8})
			b.ReportAllocs()
			for b.Loop() {
				desired := make([]drift.Desired, len(manifests))
				for i, m := range manifests {
					desired[i] = drift.Desired{Object: m}
				}
				rep := e.Check(b.Context(), desired)
				if rep.HasErrors() {
					b.Fatalf("errors: %v", firstError(rep))
				}
				if got, want := rep.Count(drift.Drifted)+rep.Count(drift.Missing), len(edits(benchObjects)); got != want {
					b.Fatalf("%d objects drifted or missing, want %d", got, want)
				}
			}
		})
	}
}

func firstError(rep *drift.Report) error {
	for _, r := range rep.Results {
		if r.Err != nil {
			return fmt.Errorf("%v: %w", r.Ref, r.Err)
		}
	}
	return nil
}

// BenchmarkDiff5MB writes the diff of a 5 MB ConfigMap one of whose values
// changed, as the report and the UI ask for it.
func BenchmarkDiff5MB(b *testing.B) {
	data := map[string]any{}
	value := strings.Repeat("0123456789abcdef", 64) // 1 KB
	for i := range 5 * 1024 {
		data[fmt.Sprintf("key-%05d", i)] = value
	}
	live := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "big", "namespace": "default"},
		"data":     data,
	}}
	want := live.DeepCopy()
	want.Object["data"].(map[string]any)["key-02500"] = "changed"
	r := drift.Result{Ref: drift.RefOf(live), Status: drift.Drifted, Live: live, Want: want}
	b.ReportAllocs()
	for b.Loop() {
		if r.Diff() == "" {
			b.Fatal("no diff")
		}
	}
}

// BenchmarkParse reads 10,000 documents from one YAML stream.
func BenchmarkParse(b *testing.B) {
	dir := b.TempDir()
	files, err := WriteManifests(dir, Generate(benchObjects))
	if err != nil {
		b.Fatal(err)
	}
	var stream []byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		stream = append(stream, data...)
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		m, errs := sources.Parse("apps.yaml", stream)
		if len(errs) > 0 || len(m) != benchObjects {
			b.Fatalf("%d objects, errors %v", len(m), errs)
		}
	}
}

// BenchmarkLoadFiles reads 10,000 documents from a directory of manifest
// files, as -f DIR does.
func BenchmarkLoadFiles(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "manifests")
	if err := os.Mkdir(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	if _, err := WriteManifests(dir, Generate(benchObjects)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m, errs := sources.LoadFiles([]string{dir})
		if len(errs) > 0 || len(m) != benchObjects {
			b.Fatalf("%d objects, errors %v", len(m), errs)
		}
	}
}
