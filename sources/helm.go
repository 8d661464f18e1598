package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	helmchart "helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	valuesutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	valuesloader "helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/strvals"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/yaml"
)

// RenderChart renders chart as Helm would for a release in namespace, in
// process and without a helm binary, and returns the objects Helm would
// install: the templates' objects, the CRDs of the chart's and its
// subcharts' crds/ directories, and the hooks only when chart.IncludeHooks.
//
// With a cluster, it renders as `helm upgrade --dry-run=server` would when
// the release exists there (.Release.IsUpgrade, the next revision, the
// release's values when chart gives none), and as `helm install
// --dry-run=server` otherwise: the templates see the cluster's version and
// API versions as .Capabilities, found by discovery the way Helm's
// action.Configuration finds them, and lookup reads the cluster, with GET
// and LIST only; a lookup the user may not make finds nothing and is said in
// a *Warning. Without a cluster it renders as `helm template`: Helm's
// default capabilities, and lookup finds nothing.
//
// Every object's origin is the chart and the template it was rendered from.
// A chart that cannot be loaded or rendered, a values file that does not
// parse or an unmet kubeVersion constraint is an *Error and nothing is
// rendered; a template whose output is not valid YAML is an *Error for that
// template alone.
func RenderChart(ctx context.Context, chart Chart, namespace string, cluster *Cluster) ([]Manifest, []error) {
	ch, err := loadChart(chart.Path)
	if err != nil {
		return nil, []error{&Error{Origin: Source{Kind: SourceChart, Name: chart.Path}.At("", 0), Err: err}}
	}
	source := Source{Kind: SourceChart, Name: ch.Name()}
	vals, errs := chartValues(chart, source)
	if len(errs) > 0 {
		return nil, errs
	}
	fail := func(err error) ([]Manifest, []error) {
		return nil, []error{&Error{Origin: Origin{Source: source}, Err: err}}
	}

	releaseName := chart.ReleaseName
	if releaseName == "" {
		releaseName = ch.Name()
	}
	if err := chartutil.ValidateReleaseName(releaseName); err != nil {
		return fail(fmt.Errorf("release name %q: %w", releaseName, err))
	}
	// The checks of the helm command before it installs: a library chart
	// has nothing to install, and a subchart that is declared but missing
	// from charts/ would otherwise be silently left out.
	switch t := ch.Metadata.Type; t {
	case "", "application":
	default:
		return fail(fmt.Errorf("%s charts are not installable", t))
	}
	if reqs := ch.Metadata.Dependencies; len(reqs) > 0 {
		deps := make([]helmchart.Dependency, len(reqs))
		for i, d := range reqs {
			deps[i] = d
		}
		if err := action.CheckDependencies(ch, deps); err != nil {
			return fail(fmt.Errorf("%w (helm dependency build fetches them)", err))
		}
	}
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return fail(fmt.Errorf("process dependencies: %w", err))
	}

	caps, err := capabilities(cluster)
	if err != nil {
		return fail(err)
	}
	if c := ch.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, caps.KubeVersion.String()) {
		// Helm's own message, which names the constraint and the version.
		return fail(fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", c, caps.KubeVersion.Version))
	}

	options, vals, notes := releaseOptions(ctx, chart, cluster, namespace, releaseName, source, vals)
	errs = append(errs, notes...)
	// With a cluster, lookup reads it, as `helm upgrade --dry-run=server`
	// does, so that a chart that keeps a generated password in a Secret
	// renders the one it keeps; without one it finds nothing, as in helm
	// template.
	var lookup *lookups
	if cluster != nil && cluster.Dynamic != nil && cluster.Discovery != nil {
		lookup = &lookups{cluster: cluster, ctx: ctx}
	}
	render := func(options common.ReleaseOptions, lookup *lookups) (map[string]string, error) {
		renderValues, err := valuesutil.ToRenderValuesWithSchemaValidation(ch, vals, options, caps, false)
		if err != nil {
			return nil, &Error{Origin: Origin{Source: source}, Err: err}
		}
		if lookup == nil {
			return engine.Engine{}.RenderWithContext(ctx, ch, renderValues)
		}
		return engine.RenderWithClientProvider(ch, renderValues, lookup)
	}
	files, err := render(options, lookup)
	if err != nil {
		var valuesErr *Error
		if errors.As(err, &valuesErr) {
			return nil, []error{valuesErr}
		}
		return nil, []error{renderError(source, err)}
	}
	if lookup != nil {
		errs = append(errs, lookup.notices(source)...)
	}
	var manifests []Manifest
	// CRDs first, as Helm installs them before anything that may use them.
	// They are files of the chart, not rendered, so their lines are lines
	// of those files.
	for _, crd := range ch.CRDObjects() {
		m, e := parseChartFile(source, crd.Filename, crd.File.Data)
		manifests = append(manifests, m...)
		errs = append(errs, e...)
	}
	rendered, e := renderedManifests(ch, source, files)
	errs = append(errs, e...)

	findVolatile(rendered, options, lookup, func(options common.ReleaseOptions, l *lookups) []Manifest {
		f, err := render(options, l)
		if err != nil {
			return nil
		}
		m, _ := renderedManifests(ch, source, f)
		return m
	})
	for _, mf := range rendered {
		if isHook, known := hook(mf.Object); isHook && (!known || !chart.IncludeHooks) {
			// Helm installs hooks apart from the release and drops
			// those of unknown events altogether.
			continue
		}
		manifests = append(manifests, mf)
	}
	return manifests, errs
}

// releaseOptions returns what the templates see as .Release, and the values
// they render with: as `helm upgrade` would when the release exists in the
// cluster (IsUpgrade, the revision after its latest, and the values of its
// last deployed revision when the user gives none, as Helm reuses them
// then), and as `helm install` would otherwise. Not being able to read the
// release storage is a *Warning, and the chart is rendered as an install.
func releaseOptions(ctx context.Context, chart Chart, cluster *Cluster, namespace, name string, source Source, vals map[string]any) (common.ReleaseOptions, map[string]any, []error) {
	install := installOptions(name, namespace)
	if cluster == nil || cluster.Client == nil {
		return install, vals, nil
	}
	rel, latest, err := findRelease(ctx, cluster, namespace, name)
	var notFound *releaseNotFound
	switch {
	case errors.As(err, &notFound):
		return install, vals, nil
	case err != nil:
		return install, vals, []error{&Warning{Origin: Origin{Source: source}, Msg: fmt.Sprintf(
			"rendered as a new install, since whether release %q exists is not known: %v", name, err)}}
	}
	if len(chart.ValuesFiles) == 0 && len(chart.Set) == 0 && len(chart.SetString) == 0 && len(rel.Config) > 0 {
		vals = rel.Config
	}
	return common.ReleaseOptions{Name: name, Namespace: namespace, Revision: latest + 1, IsUpgrade: true}, vals, nil
}

// installOptions are what the templates see as .Release in `helm install`.
func installOptions(name, namespace string) common.ReleaseOptions {
	return common.ReleaseOptions{Name: name, Namespace: namespace, Revision: 1, IsInstall: true}
}

// loadChart loads a chart directory or archive.
func loadChart(path string) (*chartv2.Chart, error) {
	c, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", trimPathError(err))
	}
	ch, ok := c.(*chartv2.Chart)
	if !ok {
		// helm install takes nothing else either.
		return nil, errors.New("load chart: only charts of apiVersion v1 and v2 can be rendered")
	}
	return ch, nil
}

// trimPathError drops the operation and path of the *fs.PathError in err,
// which only repeat what the message says already: "unable to detect chart
// at shop/Chart.yaml: open shop/Chart.yaml: no such file or directory".
func trimPathError(err error) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) || err == error(pe) {
		return unwrapPathError(err)
	}
	return errors.New(strings.Replace(err.Error(), pe.Error(), pe.Err.Error(), 1))
}

// chartValues merges the user's values as helm's MergeValues does, with
// Helm's own parsers: the values files in order, then every --set, then
// every --set-string. Values files are local files; helm's "-" for standard
// input and its URLs are not read.
func chartValues(chart Chart, source Source) (map[string]any, []error) {
	var errs []error
	base := map[string]any{}
	for _, file := range chart.ValuesFiles {
		if file == stdinName {
			// Standard input is for manifests (-f -), and is read once.
			errs = append(errs, &Error{Origin: source.At(file, 0), Err: errors.New("values cannot be read from standard input: name a file")})
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			errs = append(errs, &Error{Origin: source.At(file, 0), Err: unwrapPathError(err)})
			continue
		}
		vals, err := valuesloader.LoadValues(bytes.NewReader(data))
		if err != nil {
			line, msg := locateValuesError(data, err)
			errs = append(errs, &Error{Origin: source.At(file, line), Err: fmt.Errorf("values file: %s", msg)})
			continue
		}
		base = valuesloader.MergeMaps(base, vals)
	}
	for _, s := range chart.Set {
		if err := strvals.ParseInto(s, base); err != nil {
			errs = append(errs, &Error{Origin: Origin{Source: source}, Err: fmt.Errorf("--set %s: %w", s, err)})
		}
	}
	for _, s := range chart.SetString {
		if err := strvals.ParseIntoString(s, base); err != nil {
			errs = append(errs, &Error{Origin: Origin{Source: source}, Err: fmt.Errorf("--set-string %s: %w", s, err)})
		}
	}
	return base, errs
}

// locateValuesError finds the line of a values file that Helm's loader could
// not read. Helm reads the file a document at a time and counts lines from
// the document's start; this reads it the same way, but counts from the
// start of the file.
func locateValuesError(data []byte, helmErr error) (line int, msg string) {
	for _, doc := range splitDocuments(data) {
		var m map[string]any
		if err := yaml.Unmarshal(doc.text, &m); err != nil {
			line, msg := doc.locate(err)
			if yamlMessage.MatchString(err.Error()) {
				msg = "invalid YAML: " + msg
			}
			return line, msg
		}
	}
	// Read differently from Helm: keep its message, without its prefixes.
	msg = helmErr.Error()
	for _, prefix := range []string{"cannot unmarshal yaml document: ", "error reading yaml document: ", "error converting YAML to JSON: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return 0, msg
}

// capabilities returns what the templates see as .Capabilities: the
// cluster's, found as Helm's action.Configuration finds them, or Helm's
// defaults without a cluster.
func capabilities(cluster *Cluster) (*common.Capabilities, error) {
	if cluster == nil || cluster.Discovery == nil {
		return common.DefaultCapabilities.Copy(), nil
	}
	dc := cluster.Discovery
	if cached, ok := dc.(discovery.CachedDiscoveryInterface); ok {
		// A CRD installed since the cache was written must count, as Helm
		// makes sure.
		cached.Invalidate()
	}
	version, err := dc.ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("read the cluster's version for .Capabilities: %w", err)
	}
	// An API service that is registered but unavailable is not an error:
	// every other API version is still found.
	apiVersions, err := action.GetVersionSet(dc)
	if err != nil {
		return nil, fmt.Errorf("read the cluster's API versions for .Capabilities: %w", err)
	}
	return &common.Capabilities{
		APIVersions: apiVersions,
		// The version as the server gives it, not normalised: a constraint
		// such as ">=1.30.0" then fails on "v1.33.4-gke.1" as it does in
		// helm install.
		KubeVersion: common.KubeVersion{Version: version.GitVersion, Major: version.Major, Minor: version.Minor},
		HelmVersion: common.DefaultCapabilities.HelmVersion,
	}, nil
}

// hookEvents are the hook events Helm knows, as releaseutil.SortManifests
// reads them; "test-success" is Helm 2's name for "test".
var hookEvents = map[string]bool{
	string(releasev1.HookPreInstall): true, string(releasev1.HookPostInstall): true,
	string(releasev1.HookPreDelete): true, string(releasev1.HookPostDelete): true,
	string(releasev1.HookPreUpgrade): true, string(releasev1.HookPostUpgrade): true,
	string(releasev1.HookPreRollback): true, string(releasev1.HookPostRollback): true,
	string(releasev1.HookTest): true, "test-success": true,
}

// hook reports whether obj is a Helm hook, and whether Helm knows all of its
// events. Helm never installs a hook with an unknown event, neither as a
// hook nor as part of the release.
func hook(obj *unstructured.Unstructured) (isHook, known bool) {
	events, ok := obj.GetAnnotations()[releasev1.HookAnnotation]
	if !ok {
		return false, false
	}
	for e := range strings.SplitSeq(events, ",") {
		if !hookEvents[strings.ToLower(strings.TrimSpace(e))] {
			return true, false
		}
	}
	return true, true
}

// parseChartFile parses a file of the chart that is not a template.
func parseChartFile(source Source, file string, data []byte) ([]Manifest, []error) {
	manifests, errs := Parse(file, data)
	for i := range manifests {
		manifests[i].Origin.Source = source
	}
	for _, err := range errs {
		var e *Error
		if errors.As(err, &e) {
			e.Origin.Source = source
		}
	}
	return manifests, errs
}

// parseRendered parses one document of what a template rendered, or one
// template's part of a release manifest. The line of an object within
// rendered text matches no line of the template, so the origin has none; a
// YAML error keeps the line of the text at fault, for the caller to place.
func parseRendered(source Source, file string, text []byte) ([]Manifest, []error) {
	manifests, errs := Parse(file, text)
	for i := range manifests {
		manifests[i].Origin.Source = source
		manifests[i].Origin.Line = 0
	}
	kept := errs[:0]
	for _, err := range errs {
		if errors.Is(err, errGenerateName) {
			// Helm creates it under a name the server makes up, anew
			// each time (hooks mostly): it is not expected by name, and
			// a chart that has one is not in error.
			continue
		}
		var e *Error
		if errors.As(err, &e) {
			e.Origin.Source = source
		}
		kept = append(kept, err)
	}
	return manifests, kept
}

// templateErrorAt finds the template and line in the errors of Helm's
// engine: "parse error at (shop/templates/x.yaml:5): ..." and "execution
// error at (shop/templates/x.yaml:5:12): ...".
var templateErrorAt = regexp.MustCompile(`(?s)^(parse|execution) error at \(([^():\s]+):(\d+)(?::\d+)?\): (.*)$`)

// templateTrace finds the template and line at the start of the engine's
// multi-line error for other failures of execution,
// "shop/templates/x.yaml:5:12\n  executing ...".
var templateTrace = regexp.MustCompile(`(?s)^()([^():\s]+):(\d+):\d+\n(.*)$`)

// renderError turns an error of Helm's engine into an *Error at the
// template and line it names, which are lines of the chart's own template
// files, unlike the lines of rendered text.
func renderError(source Source, err error) error {
	msg := err.Error()
	for _, re := range []*regexp.Regexp{templateErrorAt, templateTrace} {
		m := re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		line, _ := strconv.Atoi(m[3])
		phase := "render"
		if m[1] == "parse" {
			phase = "parse"
		}
		// One line for a report: the trace's indented lines joined.
		text := strings.Join(strings.Fields(m[4]), " ")
		return &Error{Origin: source.At(m[2], line), Err: fmt.Errorf("%s: %s", phase, text)}
	}
	return &Error{Origin: Origin{Source: source}, Err: fmt.Errorf("render: %w", err)}
}
