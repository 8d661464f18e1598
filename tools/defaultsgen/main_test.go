package main

import (
	"bytes"
	"os"
	"testing"

	"k8s.io/kubernetes/pkg/util/parsers"
)

// The committed drift/defaults.json is what this generator writes for the
// Kubernetes version tools/go.mod pins; make generate rewrites it.
func TestDefaultsUpToDate(t *testing.T) {
	got, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("../../drift/defaults.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		t.Error("drift/defaults.json is stale for the Kubernetes version tools/go.mod pins: run make generate and commit it")
	}
}

// imageTagLatest, which drift copies, reads a tag as the API server's
// defaulting does.
func TestImageTagLatest(t *testing.T) {
	for _, image := range []string{
		"app", "app:latest", "app:1.0", "registry.example/app", "registry.example:5000/app",
		"registry.example:5000/app:latest", "registry.example:5000/app:v2", "app@sha256:" + sha,
		"app:1.0@sha256:" + sha, "library/app:latest", "localhost/app",
	} {
		_, tag, _, err := parsers.ParseImageName(image)
		if err != nil {
			t.Fatalf("%s: %v", image, err)
		}
		if got, want := imageTagLatest(image), tag == "latest"; got != want {
			t.Errorf("imageTagLatest(%q) = %v, the server's tag is %q", image, got, tag)
		}
	}
}

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
