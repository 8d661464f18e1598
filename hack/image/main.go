// Command image builds kubedrift's container image from a static linux
// binary, without Docker (internal/image), and writes it as an OCI layout
// and a tarball; with -push it also pushes it. make image runs it:
//
//	go run ./hack/image -binary dist/image/kubedrift -image ghcr.io/kubedrift/kubedrift:v1.2.3 -out dist/image
//
// Into out it writes oci/, an OCI image layout (skopeo copy oci:..., or
// kind load image-archive after tar), and image.tar, which docker load,
// podman load, kind load image-archive and crane push read.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kubedrift/kubedrift/internal/image"
)

func main() {
	binary := flag.String("binary", "", "the static kubedrift binary (CGO_ENABLED=0 GOOS=linux)")
	imageName := flag.String("image", image.DefaultName, "the image's name, NAME:TAG")
	arch := flag.String("arch", runtime.GOARCH, "the binary's architecture")
	out := flag.String("out", "dist/image", "where to write oci/ and image.tar")
	push := flag.Bool("push", false, "push the image to its registry too, with docker's credentials")
	version := flag.String("version", "", "org.opencontainers.image.version")
	revision := flag.String("revision", "", "org.opencontainers.image.revision, the commit")
	created := flag.Int64("created", 0, "the image's creation time, in seconds since the epoch (SOURCE_DATE_EPOCH); 0 makes the digest depend on the binary alone")
	flag.Parse()
	if *binary == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: image -binary FILE [-image NAME:TAG] [-out DIR] [-push]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *binary, *imageName, *arch, *out, *push, image.Options{
		Platform: v1.Platform{OS: "linux", Architecture: *arch},
		Created:  time.Unix(*created, 0),
		Labels: map[string]string{
			"org.opencontainers.image.title":    "kubedrift",
			"org.opencontainers.image.source":   "https://github.com/kubedrift/kubedrift",
			"org.opencontainers.image.version":  *version,
			"org.opencontainers.image.revision": *revision,
		},
	}); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, binary, imageName, arch, out string, push bool, opts image.Options) error {
	ref, err := image.Reference(imageName)
	if err != nil {
		return err
	}
	bin, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	img, err := image.Build(bin, opts)
	if err != nil {
		return err
	}
	layoutDir, tarPath := filepath.Join(out, "oci"), filepath.Join(out, "image.tar")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := image.Write(img, ref, layoutDir, tarPath); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s (linux/%s) %s\n  OCI layout  %s\n  tarball     %s\n", ref, arch, digest, layoutDir, tarPath)
	if !push {
		return nil
	}
	if err := image.Push(ctx, img, ref); err != nil {
		return err
	}
	fmt.Printf("  pushed      %s@%s\n", ref.Context(), digest)
	return nil
}
