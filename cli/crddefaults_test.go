package cli_test

import (
	"testing"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// routeCRD declares defaults inside the items of a keyed list and of an
// atomic one, as service meshes' route kinds do: the server fills in
// weight: 100 for each route and percent: 100 for each mirror that gives
// none. An apply replaces an atomic list whole, so that offline mode, which
// merges without the server, must default its items again as the server
// does.
const routeCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: routes.defaults.kubedrift.test
spec:
  group: defaults.kubedrift.test
  scope: Namespaced
  names: {plural: routes, singular: route, kind: Route, listKind: RouteList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                timeout: {type: string, default: 30s}
                http:
                  type: array
                  x-kubernetes-list-type: map
                  x-kubernetes-list-map-keys: [name]
                  items:
                    type: object
                    required: [name]
                    properties:
                      name: {type: string}
                      weight: {type: integer, default: 100}
                mirrors:
                  type: array
                  items:
                    type: object
                    properties:
                      host: {type: string}
                      percent: {type: integer, default: 100}
`

// TestCRDSchemaDefaultsOffline: a custom resource whose CRD declares
// defaults, inside a keyed list's items too, is in sync offline when
// untouched, as it is by the server's dry run; a weight the manifest sets,
// changed by hand, is still drift in both.
func TestCRDSchemaDefaultsOffline(t *testing.T) {
	ns := namespace(t)
	crd := manifests(t, ns, map[string]string{"crd.yaml": routeCRD})
	kubectl(t, "apply", "--server-side", "-f", crd)
	kubectl(t, "wait", "--for=condition=Established", "crd/routes.defaults.kubedrift.test", "--timeout=60s")
	route := func(name string) string {
		return manifests(t, ns, map[string]string{"route.yaml": `apiVersion: defaults.kubedrift.test/v1
kind: Route
metadata:
  name: ` + name + `
  namespace: NAMESPACE
spec:
  http:
    - name: primary
    - name: canary
      weight: 0
  mirrors:
    - host: shadow
`})
	}
	for name, apply := range map[string][]string{"csa": {"apply"}, "ssa": {"apply", "--server-side"}} {
		dir := route(name)
		kubectl(t, append(apply, "-f", dir)...)
		for _, mode := range []string{"auto", "offline"} {
			r := kubedrift(t, testcluster.AdminUser, ns, "--check", "--mode", mode, "-f", dir)
			assertCode(t, r, cli.ExitInSync)
		}
		kubectl(t, "patch", "route", name, "-n", ns, "--type=json", "-p", `[{"op":"replace","path":"/spec/http/1/weight","value":50}]`)
		for _, mode := range []string{"auto", "offline"} {
			r := kubedrift(t, testcluster.AdminUser, ns, "--check", "--mode", mode, "-f", dir)
			assertCode(t, r, cli.ExitDrift)
			assertContains(t, r, "spec.http[name=canary].weight: 50 -> 0")
		}
	}
}
