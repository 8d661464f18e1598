//go:build tools

// Package tools pins the Helm 4 command line that the tests install charts
// with: `make bin/helm` builds helm.sh/helm/v4/cmd/helm at the version this
// module requires. It is a module of its own so that its dependencies never
// move those of the test cluster's Kubernetes build in ../go.mod.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
