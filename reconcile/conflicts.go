package reconcile

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Conflict is a field an apply was refused for: another manager owns it and
// holds another value than the manifest.
type Conflict struct {
	// Field is the field's path as the server names it: spec.replicas.
	Field string
	// Manager is the field manager that owns it, and Subresource the
	// subresource it wrote through ("scale"), if any.
	Manager, Subresource string
	// Tool is the tool a person changed the field with (PersonsTool); ""
	// when the manager is not one, but a controller or another applier.
	Tool string
}

func (c Conflict) String() string {
	return fmt.Sprintf("%s (owned by %s)", c.Field, c.Owner())
}

// Owner names who owns the field: the tool, or the manager.
func (c Conflict) Owner() string {
	if c.Tool != "" {
		return c.Tool
	}
	return strconv.Quote(c.Manager)
}

// conflictsOf returns the fields an apply was refused for, with their
// owners; none when err is not such a refusal.
func conflictsOf(err error) []Conflict {
	var status apierrors.APIStatus
	if !apierrors.IsConflict(err) || !errors.As(err, &status) || status.Status().Details == nil {
		return nil
	}
	var out []Conflict
	for _, cause := range status.Status().Details.Causes {
		if cause.Type != metav1.CauseTypeFieldManagerConflict {
			continue
		}
		c := Conflict{Field: strings.TrimPrefix(cause.Field, ".")}
		// conflict with "kubectl-scale" with subresource "scale" using apps/v1 at ...
		rest := strings.TrimPrefix(cause.Message, "conflict with ")
		c.Manager, rest = unquotePrefix(rest)
		if sub, ok := strings.CutPrefix(rest, " with subresource "); ok {
			c.Subresource, _ = unquotePrefix(sub)
		}
		c.Tool, _ = PersonsTool(c.Manager)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Conflict) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// unquotePrefix reads the Go-quoted string s starts with, and returns it and
// the rest; s itself when it starts with none.
func unquotePrefix(s string) (string, string) {
	quoted, err := strconv.QuotedPrefix(s)
	if err != nil {
		return s, ""
	}
	unquoted, _ := strconv.Unquote(quoted)
	return unquoted, s[len(quoted):]
}

// mayTake reports whether the reconcile takes every field in conflicts
// unforced: each is a person's, and TakeFromPeople, or its manager is one
// TakeFrom names.
func (o ReconcileOptions) mayTake(conflicts []Conflict) bool {
	return len(conflicts) > 0 && !slices.ContainsFunc(conflicts, func(c Conflict) bool {
		return !(c.Tool != "" && o.TakeFromPeople) && !slices.ContainsFunc(o.TakeFrom, func(glob string) bool {
			matched, _ := path.Match(glob, c.Manager)
			return matched
		})
	})
}
