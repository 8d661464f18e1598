// Command dist packs the binaries `make dist` cross-built into release
// archives, writes their SHA-256 sums, and fills the krew manifest template
// with them. It is Go rather than tar, zip and sha256sum so that a fresh
// machine with only Go can make a release, and so that the archives are the
// same on every machine: fixed modes, owners and times.
//
//	go run ./hack/dist -version v1.2.3 -url https://.../v1.2.3 -out dist dist/build/*
//
// Each build directory is named OS_ARCH and holds kubectl-drift (.exe on
// Windows). Into out it writes kubedrift_VERSION_OS_ARCH.tar.gz (.zip for
// Windows) with the binary, README.md, LICENSE when there is one, and on Unix
// the kubectl_complete-drift script; checksums.txt in sha256sum's format; and
// drift.yaml, the krew manifest made from the -manifest template.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"time"

	"k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/yaml"
)

// binary is the name of the program in every archive: krew links it into
// the PATH under this name, and kubectl finds plugins by it.
const binary = "kubectl-drift"

// config is the command line.
type config struct {
	// version is the release version (git describe), in archive names.
	version string
	// url is where the archives are downloaded from; an archive's URI in the
	// krew manifest is url/name.
	url string
	// manifest is the krew manifest template; out gets drift.yaml from it.
	manifest string
	// root is the repository, where README.md, LICENSE and hack/ are.
	root string
	// out is the directory the archives, sums and manifest are written to.
	out string
	// date is the modification time of every archived file.
	date time.Time
	// builds are the OS_ARCH build directories.
	builds []string
}

// platform is one archive, as the krew manifest template sees it.
type platform struct {
	// OS and Arch are GOOS and GOARCH, which are krew's os and arch labels.
	OS, Arch string
	// Archive is the archive's file name, URI where it is downloaded from.
	Archive, URI string
	// SHA256 is the archive's sum in hex.
	SHA256 string
	// Bin is the plugin's executable in the archive.
	Bin string
}

// manifestData is what the krew manifest template is executed with.
type manifestData struct {
	// Version is the release version as krew needs it: semantic, with a
	// leading v. A build between tags gets v0.0.0-dev+DESCRIBE.
	Version string
	// Tag is the release version as given.
	Tag string
	// Platforms are the archives, by OS then architecture.
	Platforms []platform
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err == nil {
		err = run(cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	var cfg config
	flags := flag.NewFlagSet("dist", flag.ContinueOnError)
	flags.StringVar(&cfg.version, "version", "", "release version, as git describe prints it")
	flags.StringVar(&cfg.url, "url", "", "where the archives are downloaded from (the release's URL)")
	flags.StringVar(&cfg.manifest, "manifest", "plugin.yaml", "krew manifest template")
	flags.StringVar(&cfg.root, "root", ".", "repository root, where README.md, LICENSE and hack/ are")
	flags.StringVar(&cfg.out, "out", "dist", "output directory")
	date := flags.String("date", "", "modification time of the archived files, RFC 3339 (default: now)")
	if err := flags.Parse(args); err != nil {
		return cfg, err
	}
	cfg.builds = flags.Args()
	cfg.date = time.Now().UTC().Truncate(time.Second)
	if *date != "" {
		t, err := time.Parse(time.RFC3339, *date)
		if err != nil {
			return cfg, fmt.Errorf("-date: %w", err)
		}
		cfg.date = t
	}
	switch {
	case cfg.version == "":
		return cfg, errors.New("-version is required")
	case cfg.url == "":
		return cfg, errors.New("-url is required")
	case len(cfg.builds) == 0:
		return cfg, errors.New("no build directories given")
	}
	return cfg, nil
}

func run(cfg config) error {
	tmpl, err := template.ParseFiles(cfg.manifest)
	if err != nil {
		return fmt.Errorf("read krew manifest template: %w", err)
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	data := manifestData{Version: krewVersion(cfg.version), Tag: cfg.version}
	for _, dir := range cfg.builds {
		p, err := pack(cfg, dir)
		if err != nil {
			return err
		}
		data.Platforms = append(data.Platforms, p)
	}
	slices.SortFunc(data.Platforms, func(a, b platform) int {
		return strings.Compare(a.OS+"/"+a.Arch, b.OS+"/"+b.Arch)
	})

	var sums strings.Builder
	for _, p := range data.Platforms {
		// sha256sum --check reads this format: sum, two spaces, name.
		fmt.Fprintf(&sums, "%s  %s\n", p.SHA256, p.Archive)
	}
	if err := os.WriteFile(filepath.Join(cfg.out, "checksums.txt"), []byte(sums.String()), 0o644); err != nil {
		return err
	}

	var manifest bytes.Buffer
	if err := tmpl.Execute(&manifest, data); err != nil {
		return fmt.Errorf("fill krew manifest template: %w", err)
	}
	// A template that renders to something krew cannot read is found here,
	// not by krew-index's review.
	var check struct {
		Spec struct {
			Platforms []struct {
				SHA256 string `json:"sha256"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(manifest.Bytes(), &check); err != nil {
		return fmt.Errorf("krew manifest from %s is not YAML: %w", cfg.manifest, err)
	}
	if len(check.Spec.Platforms) != len(data.Platforms) {
		return fmt.Errorf("krew manifest from %s has %d platforms, want one per archive, %d", cfg.manifest, len(check.Spec.Platforms), len(data.Platforms))
	}
	return os.WriteFile(filepath.Join(cfg.out, "drift.yaml"), manifest.Bytes(), 0o644)
}

// pack writes the archive of one build directory and returns its platform.
func pack(cfg config, dir string) (platform, error) {
	goos, arch, ok := strings.Cut(filepath.Base(dir), "_")
	if !ok {
		return platform{}, fmt.Errorf("build directory %s is not named OS_ARCH", dir)
	}
	p := platform{OS: goos, Arch: arch, Bin: binary}
	ext := ".tar.gz"
	if goos == "windows" {
		p.Bin += ".exe"
		ext = ".zip"
	}
	p.Archive = fmt.Sprintf("kubedrift_%s_%s_%s%s", cfg.version, goos, arch, ext)
	p.URI = strings.TrimSuffix(cfg.url, "/") + "/" + p.Archive

	files := []archived{{name: p.Bin, path: filepath.Join(dir, p.Bin), mode: 0o755}}
	files = append(files, archived{name: "README.md", path: filepath.Join(cfg.root, "README.md"), mode: 0o644})
	if _, err := os.Stat(filepath.Join(cfg.root, "LICENSE")); err == nil {
		files = append(files, archived{name: "LICENSE", path: filepath.Join(cfg.root, "LICENSE"), mode: 0o644})
	}
	if goos != "windows" {
		// kubectl runs it to complete "kubectl drift"; a shell script
		// is no use to kubectl on Windows.
		files = append(files, archived{name: "kubectl_complete-drift", path: filepath.Join(cfg.root, "hack", "kubectl_complete-drift"), mode: 0o755})
	}

	var buf bytes.Buffer
	var err error
	if goos == "windows" {
		err = writeZip(&buf, files, cfg.date)
	} else {
		err = writeTarGz(&buf, files, cfg.date)
	}
	if err != nil {
		return p, fmt.Errorf("pack %s: %w", p.Archive, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	p.SHA256 = hex.EncodeToString(sum[:])
	if err := os.WriteFile(filepath.Join(cfg.out, p.Archive), buf.Bytes(), 0o644); err != nil {
		return p, err
	}
	return p, nil
}

// archived is one file to put into an archive.
type archived struct {
	// name is the file's name in the archive, path where it is read from.
	name, path string
	mode       fs.FileMode
}

func writeTarGz(w io.Writer, files []archived, date time.Time) error {
	// No name or time in the gzip header: the same files make the same
	// archive, and so the same sum.
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		content, err := os.ReadFile(f.path)
		if err != nil {
			return err
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     f.name,
			Mode:     int64(f.mode),
			Size:     int64(len(content)),
			ModTime:  date,
			Format:   tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(content); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, files []archived, date time.Time) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		content, err := os.ReadFile(f.path)
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: date}
		hdr.SetMode(f.mode)
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := fw.Write(content); err != nil {
			return err
		}
	}
	return zw.Close()
}

// krewVersion returns v if it is what krew accepts as a plugin version, a
// semantic version with a leading v (git describe on a tag, or a few commits
// after one: v1.2.3-4-gabcdef0); anything else, such as the bare commit git
// describe prints before the first tag, becomes v0.0.0-dev+ followed by it.
func krewVersion(v string) string {
	if strings.HasPrefix(v, "v") {
		if _, err := version.ParseSemantic(v); err == nil {
			return v
		}
	}
	// Build metadata is dot-separated, non-empty [0-9A-Za-z-] identifiers.
	meta := strings.Map(func(r rune) rune {
		if r < 128 && (r == '-' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return r
		}
		return '-'
	}, v)
	if meta == "" {
		meta = "unknown"
	}
	return "v0.0.0-dev+" + meta
}
