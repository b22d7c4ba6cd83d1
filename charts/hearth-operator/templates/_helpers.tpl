{{/* The release's full name: the release name, unless it already contains the chart's. */}}
{{- define "hearth-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hearth-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "hearth-operator.labels" -}}
{{ include "hearth-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: hearth
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "hearth-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hearth-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "hearth-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
The namespaces whose Hearths the operator reconciles, as a JSON list (read it with fromJsonArray):
watchNamespaces, or watchNamespace as a list of one, or [] for every namespace. Both set is refused
rather than merged: which one was meant cannot be told, and a guess could widen the RBAC.
*/}}
{{- define "hearth-operator.watchNamespaces" -}}
{{- if and .Values.watchNamespace .Values.watchNamespaces -}}
{{- fail (printf "watchNamespace (%s) and watchNamespaces (%s) are both set: set only one of them (watchNamespaces: [%s] watches that one namespace too)" .Values.watchNamespace (join ", " .Values.watchNamespaces) .Values.watchNamespace) -}}
{{- end -}}
{{- if .Values.watchNamespaces -}}
{{- toJson .Values.watchNamespaces -}}
{{- else if .Values.watchNamespace -}}
{{- toJson (list .Values.watchNamespace) -}}
{{- else -}}
[]
{{- end -}}
{{- end -}}
