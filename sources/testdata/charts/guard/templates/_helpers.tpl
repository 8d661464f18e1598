{{/* The labels every object carries. */}}
{{- define "guard.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
The database password: the one in the cluster when there is one, so that an
upgrade keeps it, or a new one made up at random, as charts of databases do.
*/}}
{{- define "guard.password" -}}
{{- $secret := lookup "v1" "Secret" .Release.Namespace (printf "%s-db" .Release.Name) -}}
{{- if and $secret $secret.data (hasKey $secret.data "password") -}}
{{- index $secret.data "password" | b64dec -}}
{{- else -}}
{{- randAlphaNum 24 -}}
{{- end -}}
{{- end -}}
