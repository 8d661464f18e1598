// Package image builds kubedrift's container image without Docker: a base
// layer of our own, distroless-like (a nonroot user, CA certificates, /tmp,
// nothing to run but the binary), and a layer with the static kubedrift
// binary, as an OCI image whose entrypoint is the binary and whose default
// command is `kubedrift watch`. It is written as an OCI layout directory
// and as a tarball that docker load and crane push accept, and pushed where
// a registry is reachable. make image runs it through hack/image.
package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Where the image keeps things, and who runs it.
const (
	// DefaultName is the image's name unless make image is given another
	// (IMAGE=...); deploy/ runs it.
	DefaultName = "ghcr.io/kubedrift/kubedrift:latest"
	// BinaryPath is the kubedrift binary, the entrypoint.
	BinaryPath = "/usr/local/bin/kubedrift"
	// CertsPath is the CA bundle, where Go and most tools look first.
	CertsPath = "/etc/ssl/certs/ca-certificates.crt"
	// NonRoot is the user (and group) the image runs as, distroless's
	// nonroot; deploy/ runs the pod as the same.
	NonRoot = 65532
	// Home is NonRoot's home directory, where the discovery cache goes
	// when --cache-dir names no other place.
	Home = "/home/nonroot"
)

// Options say what goes into the image beside the binary.
type Options struct {
	// Platform is the binary's: linux and its architecture.
	Platform v1.Platform
	// Created is the image's creation time, and every file's; the zero
	// time (the epoch) makes the same binary give the same image digest.
	Created time.Time
	// Labels are the config's labels (org.opencontainers.image.version,
	// .revision, .source).
	Labels map[string]string
}

// Build returns the image of binary, a static kubedrift binary for
// opts.Platform.
func Build(binary []byte, opts Options) (v1.Image, error) {
	base, err := layer(baseFiles(opts.Created))
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	app, err := layer([]file{{path: BinaryPath, mode: 0o755, body: binary, mtime: opts.Created}})
	if err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, base, app)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Created = v1.Time{Time: opts.Created.UTC()}
	cfg.OS, cfg.Architecture, cfg.Variant = opts.Platform.OS, opts.Platform.Architecture, opts.Platform.Variant
	cfg.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", NonRoot, NonRoot),
		Entrypoint: []string{BinaryPath},
		Cmd:        []string{"watch"},
		WorkingDir: Home,
		Env: []string{
			"PATH=/usr/local/bin:/usr/bin:/bin",
			"HOME=" + Home,
			"SSL_CERT_FILE=" + CertsPath,
		},
		Labels: opts.Labels,
	}
	return mutate.ConfigFile(img, cfg)
}

// file is one entry of a layer: a regular file, or a directory when body
// is nil and dir is set.
type file struct {
	path     string
	dir      bool
	mode     int64
	uid, gid int
	body     []byte
	mtime    time.Time
}

// baseFiles are the base layer's: what a static Go binary needs around it,
// and a user that is not root.
func baseFiles(mtime time.Time) []file {
	dirs := []file{
		{path: "/etc", mode: 0o755}, {path: "/etc/ssl", mode: 0o755}, {path: "/etc/ssl/certs", mode: 0o755},
		{path: "/home", mode: 0o755}, {path: Home, mode: 0o700, uid: NonRoot, gid: NonRoot},
		{path: "/tmp", mode: 0o1777}, {path: "/usr", mode: 0o755}, {path: "/usr/local", mode: 0o755},
		{path: "/usr/local/bin", mode: 0o755},
	}
	files := dirs
	for i := range files {
		files[i].dir, files[i].mtime = true, mtime
	}
	return append(files,
		file{path: "/etc/passwd", mode: 0o644, mtime: mtime, body: fmt.Appendf(nil,
			"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:%s:/sbin/nologin\n", NonRoot, NonRoot, Home)},
		file{path: "/etc/group", mode: 0o644, mtime: mtime, body: fmt.Appendf(nil, "root:x:0:\nnonroot:x:%d:\n", NonRoot)},
		file{path: CertsPath, mode: 0o644, mtime: mtime, body: caBundle()},
	)
}

// caBundle is the NSS trust store that golang.org/x/crypto/x509roots
// carries, as PEM. Roots with a constraint X.509 cannot say (trusted only
// for certificates issued before a date) are left out, as Debian's
// ca-certificates leaves out the distrusted ones.
func caBundle() []byte {
	var out bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint == nil {
			_ = pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate})
		}
	}
	return out.Bytes()
}

// layer returns an OCI layer holding files, in their order.
func layer(files []file) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{
			Name: f.path[1:], Mode: f.mode, Uid: f.uid, Gid: f.gid,
			ModTime: f.mtime, Format: tar.FormatPAX, Typeflag: tar.TypeReg, Size: int64(len(f.body)),
		}
		if f.dir {
			h.Name += "/"
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// Reference parses the image's name, NAME:TAG or NAME@DIGEST.
func Reference(s string) (name.Reference, error) {
	ref, err := name.ParseReference(s)
	if err != nil {
		return nil, fmt.Errorf("image name %q: %w", s, err)
	}
	return ref, nil
}

// refNameAnnotation names an image in an OCI layout's index.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// Write writes img, named ref, as an OCI layout in the directory layoutDir
// (its index names the image by ref) and as the tarball tarPath, which
// docker load and crane push read. Each is written anew.
func Write(img v1.Image, ref name.Reference, layoutDir, tarPath string) error {
	if err := os.RemoveAll(layoutDir); err != nil {
		return err
	}
	p, err := layout.Write(layoutDir, empty.Index)
	if err != nil {
		return fmt.Errorf("OCI layout %s: %w", layoutDir, err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		refNameAnnotation: ref.Name(),
	})); err != nil {
		return fmt.Errorf("OCI layout %s: %w", layoutDir, err)
	}
	if err := tarball.WriteToFile(tarPath, ref, img); err != nil {
		return fmt.Errorf("tarball %s: %w", tarPath, err)
	}
	return nil
}

// Push pushes img to the registry ref names, with the credentials docker
// and crane use (~/.docker/config.json, credential helpers).
func Push(ctx context.Context, img v1.Image, ref name.Reference) error {
	if err := remote.Write(ref, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	return nil
}
