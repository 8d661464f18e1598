package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/yaml"
)

// krewManifest is the part of a krew Plugin that krew reads to install.
type krewManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Caveats          string `json:"caveats"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			SHA256 string `json:"sha256"`
			Bin    string `json:"bin"`
		} `json:"platforms"`
	} `json:"spec"`
}

// fakeRepo writes what dist reads from the repository, and a build
// directory per platform holding a fake binary, and returns the config.
func fakeRepo(t *testing.T, license bool, platforms ...string) config {
	t.Helper()
	root := t.TempDir()
	write := func(path, content string, mode fs.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "README.md"), "# kubedrift\n", 0o644)
	write(filepath.Join(root, "hack", "kubectl_complete-drift"), "#!/bin/sh\n", 0o755)
	if license {
		write(filepath.Join(root, "LICENSE"), "Apache-2.0\n", 0o644)
	}
	cfg := config{
		version:  "v1.2.3",
		url:      "https://example.com/releases/v1.2.3/",
		manifest: filepath.Join("..", "..", "plugin.yaml"), // the real template
		root:     root,
		out:      filepath.Join(root, "dist"),
		date:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	for _, p := range platforms {
		dir := filepath.Join(root, "build", p)
		name := binary
		if strings.HasPrefix(p, "windows_") {
			name += ".exe"
		}
		write(filepath.Join(dir, name), "binary for "+p, 0o755)
		cfg.builds = append(cfg.builds, dir)
	}
	return cfg
}

// entry is a file read back from an archive.
type entry struct {
	content string
	mode    fs.FileMode
}

func readTarGz(t *testing.T, path string) map[string]entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]entry{}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name] = entry{string(b), hdr.FileInfo().Mode()}
	}
}

func readZip(t *testing.T, path string) map[string]entry {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string]entry{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = entry{string(b), f.Mode()}
	}
	return files
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestDist(t *testing.T) {
	cfg := fakeRepo(t, true, "windows_arm64", "linux_amd64", "darwin_arm64")
	if err := run(cfg); err != nil {
		t.Fatal(err)
	}

	// The archives: the binary under its plugin name, the docs, and the
	// completion script where kubectl can run it.
	unix := readTarGz(t, filepath.Join(cfg.out, "kubedrift_v1.2.3_linux_amd64.tar.gz"))
	want := map[string]entry{
		"kubectl-drift":          {"binary for linux_amd64", 0o755},
		"README.md":              {"# kubedrift\n", 0o644},
		"LICENSE":                {"Apache-2.0\n", 0o644},
		"kubectl_complete-drift": {"#!/bin/sh\n", 0o755},
	}
	if !maps.Equal(unix, want) {
		t.Errorf("linux archive holds %v, want %v", unix, want)
	}
	windows := readZip(t, filepath.Join(cfg.out, "kubedrift_v1.2.3_windows_arm64.zip"))
	want = map[string]entry{
		"kubectl-drift.exe": {"binary for windows_arm64", 0o755},
		"README.md":         {"# kubedrift\n", 0o644},
		"LICENSE":           {"Apache-2.0\n", 0o644},
	}
	if !maps.Equal(windows, want) {
		t.Errorf("windows archive holds %v, want %v", windows, want)
	}

	// checksums.txt is what sha256sum --check reads, in a stable order.
	sums, err := os.ReadFile(filepath.Join(cfg.out, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	archives := []string{
		"kubedrift_v1.2.3_darwin_arm64.tar.gz",
		"kubedrift_v1.2.3_linux_amd64.tar.gz",
		"kubedrift_v1.2.3_windows_arm64.zip",
	}
	var wantSums strings.Builder
	for _, a := range archives {
		wantSums.WriteString(sha256File(t, filepath.Join(cfg.out, a)) + "  " + a + "\n")
	}
	if string(sums) != wantSums.String() {
		t.Errorf("checksums.txt:\n%s\nwant:\n%s", sums, wantSums.String())
	}

	// The krew manifest: one platform per archive, each with its sum.
	b, err := os.ReadFile(filepath.Join(cfg.out, "drift.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m krewManifest
	if err := yaml.UnmarshalStrict(b, &m); err != nil {
		// Strict: a field the template misspells shows up here.
		t.Fatalf("drift.yaml: %v\n%s", err, b)
	}
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "drift" {
		t.Errorf("drift.yaml is not krew's Plugin drift:\n%s", b)
	}
	if m.Spec.Version != "v1.2.3" {
		t.Errorf("spec.version %q, want v1.2.3", m.Spec.Version)
	}
	if n := len(m.Spec.ShortDescription); n == 0 || n > 50 {
		t.Errorf("spec.shortDescription is %d characters; krew-index wants a short one", n)
	}
	if len(m.Spec.Platforms) != len(archives) {
		t.Fatalf("%d platforms, want %d:\n%s", len(m.Spec.Platforms), len(archives), b)
	}
	for i, p := range m.Spec.Platforms {
		a := archives[i]
		osArch := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(a, "kubedrift_v1.2.3_"), ".tar.gz"), ".zip")
		goos, arch, _ := strings.Cut(osArch, "_")
		wantBin := "kubectl-drift"
		if goos == "windows" {
			wantBin += ".exe"
		}
		if !maps.Equal(p.Selector.MatchLabels, map[string]string{"os": goos, "arch": arch}) ||
			p.URI != "https://example.com/releases/v1.2.3/"+a ||
			p.SHA256 != sha256File(t, filepath.Join(cfg.out, a)) ||
			p.Bin != wantBin {
			t.Errorf("platform %d is %+v, want %s/%s from %s", i, p, goos, arch, a)
		}
	}

	// The same builds make the same archives, wherever and whenever
	// they are packed.
	again := cfg
	again.out = filepath.Join(t.TempDir(), "dist")
	if err := run(again); err != nil {
		t.Fatal(err)
	}
	for _, a := range archives {
		if sha256File(t, filepath.Join(cfg.out, a)) != sha256File(t, filepath.Join(again.out, a)) {
			t.Errorf("%s differs when packed again", a)
		}
	}
}

func TestDistWithoutLicense(t *testing.T) {
	cfg := fakeRepo(t, false, "linux_arm64")
	if err := run(cfg); err != nil {
		t.Fatal(err)
	}
	files := readTarGz(t, filepath.Join(cfg.out, "kubedrift_v1.2.3_linux_arm64.tar.gz"))
	if got := slices.Sorted(maps.Keys(files)); !slices.Equal(got, []string{"README.md", "kubectl-drift", "kubectl_complete-drift"}) {
		t.Errorf("archive holds %v", got)
	}
}

func TestDistErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*config)
		want   string
	}{
		{"build directory not OS_ARCH", func(c *config) { c.builds = []string{filepath.Join(c.root, "build")} }, "is not named OS_ARCH"},
		{"binary missing", func(c *config) { c.builds = append(c.builds, filepath.Join(c.root, "build", "plan9_amd64")) }, "kubectl-drift: no such file"},
		{"no template", func(c *config) { c.manifest = filepath.Join(c.root, "none.yaml") }, "read krew manifest template"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fakeRepo(t, true, "linux_amd64")
			tc.change(&cfg)
			err := run(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestKrewVersion(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"v1.2.3", "v1.2.3"},
		{"v1.2.3-4-gabcdef0", "v1.2.3-4-gabcdef0"},
		{"v1.2.3-4-gabcdef0-dirty", "v1.2.3-4-gabcdef0-dirty"},
		{"v0.1.0-rc.1", "v0.1.0-rc.1"},
		// git describe --always before the first tag: a bare commit.
		{"4d6ab72", "v0.0.0-dev+4d6ab72"},
		{"4d6ab72-dirty", "v0.0.0-dev+4d6ab72-dirty"},
		// Not semantic, or without krew's leading v.
		{"1.2.3", "v0.0.0-dev+1-2-3"},
		{"v1.2", "v0.0.0-dev+v1-2"},
		{"release/2026_01", "v0.0.0-dev+release-2026-01"},
		{"", "v0.0.0-dev+unknown"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got := krewVersion(tc.in)
			if got != tc.want {
				t.Errorf("krewVersion(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if _, err := version.ParseSemantic(got); err != nil || !strings.HasPrefix(got, "v") {
				t.Errorf("krewVersion(%q) = %q, which krew refuses: %v", tc.in, got, err)
			}
		})
	}
}
