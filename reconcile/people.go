package reconcile

import (
	_ "embed"
	"fmt"
	"path"
	"sync"

	"sigs.k8s.io/yaml"
)

// people.yaml lists the field managers of the tools people change objects
// with by hand (kubectl edit, patch, scale, ...; k9s, Lens): a reconcile
// takes their fields back without being forced to.
//
//go:embed people.yaml
var peopleYAML []byte

// personTool is a tool people change objects with, by the field manager it
// writes as.
type personTool struct {
	Manager string `json:"manager"` // a glob
	Tool    string `json:"tool"`
}

var peopleTools = sync.OnceValue(func() []personTool {
	var tools []personTool
	if err := yaml.UnmarshalStrict(peopleYAML, &tools); err != nil {
		panic(fmt.Sprintf("reconcile/people.yaml: %v", err)) // embedded and tested
	}
	return tools
})

// PersonsTool returns the tool a person changed an object with, when
// manager is the field manager of one (people.yaml).
func PersonsTool(manager string) (tool string, ok bool) {
	for _, t := range peopleTools() {
		if matched, _ := path.Match(t.Manager, manager); matched {
			return t.Tool, true
		}
	}
	return "", false
}
