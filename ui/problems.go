package ui

import (
	"errors"
	"fmt"

	"github.com/kubedrift/kubedrift/drift"
)

// problems draws the problems with the input in height lines: each error,
// and what to do about it. A check that reached no cluster says when it
// tries again.
func (m Model) problems(height int) string {
	s := m.opts.Styles
	var b []string
	if len(m.list.results) == 0 && !m.loading {
		b = append(b, s.Error.Render("Nothing could be judged."), "")
	}
	for _, err := range m.inputErrs {
		b = append(b, s.Error.Render("• ")+err.Error())
	}
	b = append(b, "", s.Muted.Render(problemAdvice(m.inputErrs, m.loading)))
	lines := wrapAll(b, m.width)
	if len(lines) > height {
		lines = append(lines[:height-1], s.Muted.Render(fmt.Sprintf("… %d more lines", len(lines)-height+1)))
	}
	return fillHeight(lines, height) + "\n"
}

// problemAdvice says what to do about the problems with the input.
func problemAdvice(errs []error, loading bool) string {
	for _, err := range errs {
		if errors.Is(err, drift.ErrUnreachable) {
			if loading {
				return "Trying again now."
			}
			return fmt.Sprintf("Check that the cluster is up and that --kubeconfig and --context name it. kubedrift tries again every %s; r tries now.", retryEvery)
		}
	}
	return "Fix the files named above; r reads the sources again. Every other object is still judged."
}

// renderProblems is the screen of every problem with the input.
func (m Model) renderProblems() string {
	title := m.opts.Styles.Title.Render(fmt.Sprintf("%d problem(s) with the input", len(m.inputErrs)))
	return title + "\n\n" + m.problems(m.height-3) + "Any key closes this list."
}
