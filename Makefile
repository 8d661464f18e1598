# kubedrift's build. Every target works on a fresh clone: `make test` and
# `make demo` build the test cluster's binaries first when they are missing or
# older than tools/go.mod.

GO ?= go
export GOTOOLCHAIN := local

# The test cluster: real Kubernetes components built from source by the tools/
# module, stamped with the version tools/go.mod pins so that discovery, kubectl
# and version skew checks see a real release.
KUBE_VERSION := $(shell awk '$$1 == "k8s.io/kubernetes" { print $$2; exit }' tools/go.mod)
KUBE_MINOR := $(word 2,$(subst ., ,$(KUBE_VERSION)))
KUBE_LDFLAGS := -s -w \
	-X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 \
	-X k8s.io/component-base/version.gitMinor=$(KUBE_MINOR) \
	-X k8s.io/component-base/version.gitTreeState=clean \
	-X k8s.io/client-go/pkg/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/client-go/pkg/version.gitMajor=1 \
	-X k8s.io/client-go/pkg/version.gitMinor=$(KUBE_MINOR)
KUBE_TOOLS := bin/kube-apiserver bin/kube-controller-manager bin/kubectl
# The real Helm command lines the tests install charts with, each from a
# module of its own under tools/ and stamped with its version as Helm's own
# release build stamps it (the version the templates see as
# .Capabilities.HelmVersion and Helm writes into its release records).
HELM_TOOLS := bin/helm bin/helm3
TOOLS := bin/etcd $(KUBE_TOOLS) $(HELM_TOOLS)
STATICCHECK_VERSION := v0.8.2

# kubedrift's own version, stamped into cli's build variables (cli/version.go)
# by build and dist; `kubedrift version` prints it. Each can be given on the
# command line: make dist VERSION=v0.2.0. Expanded once, so that every binary
# of a dist carries the same date.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
VERSION := $(VERSION)
COMMIT := $(COMMIT)
BUILD_DATE := $(BUILD_DATE)
VERSION_LDFLAGS := \
	-X github.com/kubedrift/kubedrift/cli.buildVersion=$(VERSION) \
	-X github.com/kubedrift/kubedrift/cli.buildCommit=$(COMMIT) \
	-X github.com/kubedrift/kubedrift/cli.buildDate=$(BUILD_DATE)

# install: where to. DESTDIR stages the tree for a package.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin

# dist: the platforms released, and where their archives will be downloaded
# from (the krew manifest's URIs).
DIST_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
RELEASE_URL ?= https://github.com/kubedrift/kubedrift/releases/download/$(VERSION)

.PHONY: all build test fuzz demo tools lint clean install uninstall dist generate image help

all: build

## help: this list: each target and what it makes
help:
	@awk -F': ' '/^## / { sub(/^## /, ""); t = $$1; sub(/^[^:]*: /, ""); printf "  %-10s %s\n", t, $$0 }' $(MAKEFILE_LIST)

## build: the kubedrift binary, and bin/kubectl-drift for use as a kubectl plugin
build:
	$(GO) build -ldflags '$(VERSION_LDFLAGS)' -o bin/kubedrift .
	ln -sf kubedrift bin/kubectl-drift

## install: kubedrift, the kubectl-drift link and kubectl's completion helper kubectl_complete-drift into $(DESTDIR)$(PREFIX)/bin
install: build
	install -d '$(DESTDIR)$(BINDIR)'
	install -m 0755 bin/kubedrift '$(DESTDIR)$(BINDIR)/kubedrift'
	ln -sf kubedrift '$(DESTDIR)$(BINDIR)/kubectl-drift'
	install -m 0755 hack/kubectl_complete-drift '$(DESTDIR)$(BINDIR)/kubectl_complete-drift'

## uninstall: remove what install installed
uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/kubedrift' '$(DESTDIR)$(BINDIR)/kubectl-drift' '$(DESTDIR)$(BINDIR)/kubectl_complete-drift'

## dist: static binaries for $(DIST_PLATFORMS), archived, with checksums.txt and the krew manifest drift.yaml (from plugin.yaml), into dist/
dist:
	@test -n '$(VERSION)' || { echo 'dist: no version from git describe; give one: make dist VERSION=v0.1.0' >&2; exit 1; }
	rm -rf dist
	@set -e; for p in $(DIST_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; exe=; if [ "$$os" = windows ]; then exe=.exe; fi; \
		echo "build $$os/$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '-s -w $(VERSION_LDFLAGS)' \
			-o dist/build/$${os}_$${arch}/kubectl-drift$$exe .; \
	done
	$(GO) run ./hack/dist -version '$(VERSION)' -url '$(RELEASE_URL)' -date '$(BUILD_DATE)' -manifest plugin.yaml -out dist \
		$(addprefix dist/build/,$(subst /,_,$(DIST_PLATFORMS)))
	rm -rf dist/build
	cat dist/checksums.txt

# image: its name (deploy/ runs ghcr.io/kubedrift/kubedrift:latest, the
# default), its architecture, and PUSH=1 to push it with docker's credentials.
IMAGE ?=
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
PUSH ?=

## image: the container image, without Docker: a static kubedrift on a nonroot base of our own, as an OCI layout (dist/image/oci) and a tarball for docker load (dist/image/image.tar); IMAGE=registry/name:tag PUSH=1 pushes it
image:
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -ldflags '-s -w $(VERSION_LDFLAGS)' -o dist/image/kubedrift .
	$(GO) run ./hack/image -binary dist/image/kubedrift -arch $(IMAGE_ARCH) -out dist/image \
		-version '$(VERSION)' -revision '$(COMMIT)' $(if $(IMAGE),-image '$(IMAGE)') $(if $(PUSH),-push)

## test: vet, then every test with the race detector, the ones against the real API server included, then each fuzz target briefly
test: tools
	$(GO) vet ./...
	KUBEBUILDER_ASSETS=$(CURDIR)/bin $(GO) test -race -count=1 -timeout 30m ./...
	cd tools && $(GO) test -count=1 ./defaultsgen
	$(MAKE) --no-print-directory fuzz

## generate: drift/defaults.json, the defaults the API server sets on built-in kinds, from the Kubernetes version tools/go.mod pins (tools/defaultsgen)
generate:
	cd tools && $(GO) run ./defaultsgen -o ../drift/defaults.json

# Each fuzz target and its package; go test -fuzz takes one at a time.
FUZZ_TARGETS := FuzzParse:./sources FuzzParse:./drift/ignore FuzzUnifiedDiff:./drift
FUZZTIME ?= 10s

## fuzz: every fuzz target for FUZZTIME each (10s; make fuzz FUZZTIME=10m for a longer hunt)
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t%%:*} ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) "$${t#*:}"; \
	done

## demo: a local test cluster with a seeded, drifted application, and kubedrift on it
demo: tools build
	$(GO) run ./internal/demo -bin $(CURDIR)/bin -manifests examples/shop

# bench: the sizes measured, each on a fresh cluster, and the runs of each
# command per size (0: 5 up to 2,000 objects, 3 above).
BENCH_SIZES ?= 2000,10000
BENCH_REPS ?= 0

.PHONY: bench

## bench: kubedrift --check in each mode beside a bare LIST and kubectl diff --server-side on a seeded test cluster (BENCH_SIZES=2000,10000); writes bench/results.md
bench: tools build
	$(GO) run ./internal/bench -bin $(CURDIR)/bin -sizes $(BENCH_SIZES) -reps $(BENCH_REPS) -out bench/results.md

## tools: etcd, kube-apiserver, kube-controller-manager, kubectl, helm (v4) and helm3 into bin/ (about 10 minutes cold on two cores)
tools: $(TOOLS)

$(KUBE_TOOLS): tools/go.mod tools/go.sum
	cd tools && $(GO) build -trimpath -buildvcs=false -ldflags '$(KUBE_LDFLAGS)' -o ../$@ k8s.io/kubernetes/cmd/$(notdir $@)

# helm_version is the version of module $(1) that go.mod $(2) requires.
helm_version = $(shell awk '$$1 == "$(1)" { print $$2; exit } $$1 == "require" && $$2 == "$(1)" { print $$3; exit }' $(2))

bin/helm: tools/helm/go.mod tools/helm/go.sum
	cd tools/helm && $(GO) build -trimpath -buildvcs=false \
		-ldflags '-s -w -X helm.sh/helm/v4/internal/version.version=$(call helm_version,helm.sh/helm/v4,tools/helm/go.mod)' \
		-o ../../$@ helm.sh/helm/v4/cmd/helm

bin/helm3: tools/helm3/go.mod tools/helm3/go.sum
	cd tools/helm3 && $(GO) build -trimpath -buildvcs=false \
		-ldflags '-s -w -X helm.sh/helm/v3/internal/version.version=$(call helm_version,helm.sh/helm/v3,tools/helm3/go.mod)' \
		-o ../../$@ helm.sh/helm/v3/cmd/helm

bin/etcd: tools/go.mod tools/go.sum
	cd tools && $(GO) build -trimpath -buildvcs=false -ldflags '-s -w' -o ../$@ go.etcd.io/etcd/server/v3

# MAX_FILE_LINES bounds a non-test Go file: past it, a file holds more than
# one idea and is split (DESIGN.md, issue 21).
MAX_FILE_LINES ?= 600

## lint: gofmt, go vet and staticcheck (fetched through the Go module proxy), and no non-test Go file over MAX_FILE_LINES lines
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@out=$$(git ls-files '*.go' ':!:*_test.go' | xargs awk -v max=$(MAX_FILE_LINES) 'FNR == max + 1 { print FILENAME ": over " max " lines" }'); if [ -n "$$out" ]; then echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

## clean: remove bin/ and dist/
clean:
	rm -rf bin dist
