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
TOOLS := bin/etcd $(KUBE_TOOLS)
STATICCHECK_VERSION := v0.8.2

.PHONY: all build test demo tools lint clean

all: build

## build: the kubedrift binary, and bin/kubectl-drift for use as a kubectl plugin
build:
	$(GO) build -o bin/kubedrift .
	ln -sf kubedrift bin/kubectl-drift

## test: vet, then every test with the race detector, the ones against the real API server included
test: tools
	$(GO) vet ./...
	KUBEBUILDER_ASSETS=$(CURDIR)/bin $(GO) test -race -count=1 ./...

## demo: a local test cluster with a seeded, drifted application, and kubedrift on it
demo: tools build
	$(GO) run ./internal/demo -bin $(CURDIR)/bin -manifests examples/shop

## tools: etcd, kube-apiserver, kube-controller-manager and kubectl into bin/ (about 8 minutes cold on two cores)
tools: $(TOOLS)

$(KUBE_TOOLS): tools/go.mod tools/go.sum
	cd tools && $(GO) build -trimpath -buildvcs=false -ldflags '$(KUBE_LDFLAGS)' -o ../$@ k8s.io/kubernetes/cmd/$(notdir $@)

bin/etcd: tools/go.mod tools/go.sum
	cd tools && $(GO) build -trimpath -buildvcs=false -ldflags '-s -w' -o ../$@ go.etcd.io/etcd/server/v3

## lint: gofmt, go vet and staticcheck (fetched through the Go module proxy)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

clean:
	rm -rf bin
