{{/*
Names, after the chart starter and Bitnami's common chart. Every helper takes the calling chart's
root context (`.`), or a dict with "context" (the root context) and "component" where noted.
Kubernetes names are limited to 63 characters (DNS-1123 labels), hence the truncation.
*/}}

{{/* The chart name, or .Values.nameOverride. Usage: {{ include "govmesh-common.names.name" . }} */}}
{{- define "govmesh-common.names.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "<chart>-<version>" with "+" replaced, for the helm.sh/chart label. */}}
{{- define "govmesh-common.names.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The fully qualified app name: .Values.fullnameOverride, else "<release>-<name>", else just the
release name when it already contains the chart name.
*/}}
{{- define "govmesh-common.names.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The name of one component's objects: "<fullname>-<component>".
Usage: {{ include "govmesh-common.names.componentFullname" (dict "context" $ "component" "catalog") }}
*/}}
{{- define "govmesh-common.names.componentFullname" -}}
{{- printf "%s-%s" (include "govmesh-common.names.fullname" .context | trunc (int (sub 62 (len .component)))) .component | trimSuffix "-" -}}
{{- end -}}

{{/* The release namespace, or .Values.namespaceOverride. */}}
{{- define "govmesh-common.names.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}
