{{/*
Labels, per the Helm best practice (helm.sh/docs/chart_best_practices/labels) and Bitnami's
common chart: the standard set on every object's metadata, a smaller immutable set in selectors.

Usage:
  labels:    {{- include "govmesh-common.labels.standard" (dict "context" $ "component" "catalog") | nindent 4 }}
  selector:  {{- include "govmesh-common.labels.componentSelector" (dict "context" $ "component" "catalog") | nindent 6 }}

"component" is optional for the standard labels (objects shared by every component leave it out).
.Values.commonLabels is merged in, but can never replace a standard label.
*/}}

{{- define "govmesh-common.labels.standard" -}}
{{- $ctx := .context -}}
{{- $standard := dict
  "app.kubernetes.io/name" (include "govmesh-common.names.name" $ctx)
  "app.kubernetes.io/instance" $ctx.Release.Name
  "app.kubernetes.io/managed-by" $ctx.Release.Service
  "app.kubernetes.io/part-of" "govmesh"
  "helm.sh/chart" (include "govmesh-common.names.chart" $ctx)
-}}
{{- with $ctx.Chart.AppVersion -}}
{{- $_ := set $standard "app.kubernetes.io/version" (. | toString | replace "+" "_" | trunc 63 | trimSuffix "-") -}}
{{- end -}}
{{- with .component -}}
{{- $_ := set $standard "app.kubernetes.io/component" . -}}
{{- end -}}
{{- $common := $ctx.Values.commonLabels | default dict -}}
{{- toYaml (merge $standard $common) -}}
{{- end -}}

{{/*
Selector labels: only name and instance. Selectors are immutable, so no version or chart label
ever goes in here. Usage: {{ include "govmesh-common.labels.selector" (dict "context" $) }}
*/}}
{{- define "govmesh-common.labels.selector" -}}
app.kubernetes.io/name: {{ include "govmesh-common.names.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
{{- end -}}

{{/*
Selector labels of one component: name + instance + component. One release runs several
Deployments, so each workload's selector (and its Service's) adds its component, as Bitnami's
multi-component charts do; otherwise a Service would select every pod of the release.
*/}}
{{- define "govmesh-common.labels.componentSelector" -}}
{{ include "govmesh-common.labels.selector" . }}
app.kubernetes.io/component: {{ required "govmesh-common.labels.componentSelector needs a component" .component }}
{{- end -}}
