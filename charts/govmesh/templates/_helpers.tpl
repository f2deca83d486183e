{{/*
govmesh chart helpers. Names and labels come from the govmesh-common library chart.
*/}}

{{/* The services this chart knows, in a fixed order (values.schema.json refuses any other). */}}
{{- define "govmesh.serviceNames" -}}
catalog request audit exchange verification
{{- end -}}

{{/* Objects of one service: "<fullname>-<service>". Usage: (dict "context" $ "component" $name) */}}
{{- define "govmesh.componentName" -}}
{{- include "govmesh-common.names.componentFullname" . -}}
{{- end -}}

{{/* The ConfigMap holding platform.json. */}}
{{- define "govmesh.platformConfigMapName" -}}
{{- printf "%s-platform" (include "govmesh-common.names.fullname" . | trunc 54 | trimSuffix "-") -}}
{{- end -}}

{{- define "govmesh.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "govmesh-common.names.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Metadata annotations: commonAnnotations, plus the given dict ("extra"). */}}
{{- define "govmesh.annotations" -}}
{{- $all := merge (dict) (.extra | default dict) (.context.Values.commonAnnotations | default dict) -}}
{{- if $all -}}
annotations:
{{ toYaml $all | indent 2 }}
{{- end -}}
{{- end -}}

{{- define "govmesh.image" -}}
{{- $img := .Values.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}

{{/* Where the platform file, the schemas and the audit keys are inside the container. */}}
{{- define "govmesh.platformMountPath" -}}/etc/govmesh/platform{{- end -}}
{{- define "govmesh.auditKeyMountPath" -}}/var/run/secrets/govmesh/ledger{{- end -}}
{{- define "govmesh.witnessKeyMountPath" -}}/var/run/secrets/govmesh/witness{{- end -}}
{{- define "govmesh.maskingKeyMountPath" -}}/var/run/secrets/govmesh/masking{{- end -}}
{{- define "govmesh.fileSigningKeyMountPath" -}}/var/run/secrets/govmesh/file-signing{{- end -}}
{{- define "govmesh.filesMountPath" -}}/var/lib/govmesh/files{{- end -}}
{{- define "govmesh.schemasDir" -}}/app/schemas{{- end -}}

{{/* KAFKA_BROKERS: kafka.brokers, or the Strimzi bootstrap Service when Strimzi is on. */}}
{{- define "govmesh.kafkaBrokers" -}}
{{- if .Values.kafka.brokers -}}
{{- join "," .Values.kafka.brokers -}}
{{- else if .Values.kafka.strimzi.enabled -}}
{{- $ns := default (include "govmesh-common.names.namespace" .) .Values.kafka.strimzi.namespace -}}
{{- printf "%s-kafka-bootstrap.%s.svc:9092" (required "kafka.strimzi.cluster is required when kafka.strimzi.enabled is true" .Values.kafka.strimzi.cluster) $ns -}}
{{- else -}}
{{- fail "kafka.brokers is required (or set kafka.strimzi.enabled and kafka.strimzi.cluster)" -}}
{{- end -}}
{{- end -}}

{{/*
The platform file (the format of deploy/dev/platform.json and backbone's parsePlatformFile),
as pretty JSON.
*/}}
{{- define "govmesh.platformFile" -}}
{{- $p := .Values.platform -}}
{{- $seen := dict -}}
{{- range $i, $d := $p.departments -}}
{{- if hasKey $seen $d.id -}}
{{- fail (printf "platform.departments[%d].id: duplicate id %s" $i $d.id) -}}
{{- end -}}
{{- $_ := set $seen $d.id true -}}
{{- end -}}
{{- $platform := dict "id" $p.id "name" $p.name "kind" $p.kind "regionCode" $p.regionCode -}}
{{- with $p.parent -}}
{{- $_ := set $platform "parent" . -}}
{{- end -}}
{{- $calendar := dict "holidays" ($p.calendar.holidays | default list) "workdays" ($p.calendar.workdays | default list) -}}
{{- with $p.calendar.schedules -}}
{{- $files := list -}}
{{- range . -}}
{{- $files = append $files (printf "calendar-%v.json" .year) -}}
{{- end -}}
{{- $_ := set $calendar "schedules" $files -}}
{{- end -}}
{{- $file := dict
  "platform" $platform
  "departments" $p.departments
  "calendar" $calendar
  "auth" (dict "tokenPublicKeyPem" (required "platform.tokenPublicKeyPem is required" $p.tokenPublicKeyPem))
-}}
{{- if $p.additionalTokenPublicKeyPems -}}
{{- $_ := set $file.auth "additionalTokenPublicKeyPems" $p.additionalTokenPublicKeyPems -}}
{{- end -}}
{{- toPrettyJson $file -}}
{{- end -}}

{{/*
The environment of one service. Usage: (dict "context" $ "name" $name "svc" $svc).
Env is read once at start by the service (packages/backbone config.ts and the service's own spec).
FAILPOINTS is a test-only switch: never rendered, and refused in extraEnv.
*/}}
{{- define "govmesh.env" -}}
{{- $ := .context -}}
{{- $name := .name -}}
{{- $svc := .svc -}}
{{- $c := $.Values.config -}}
{{- $dbName := default $.Values.database.urlSecret.name $svc.database.urlSecret.name -}}
{{- $dbKey := default $.Values.database.urlSecret.key $svc.database.urlSecret.key -}}
- name: NODE_ENV
  value: production
- name: SERVICE_NAME
  value: {{ $name | quote }}
- name: PLATFORM_ID
  value: {{ $.Values.platform.id | quote }}
- name: PLATFORM_CONFIG
  value: {{ printf "%s/platform.json" (include "govmesh.platformMountPath" $) | quote }}
- name: SCHEMAS_DIR
  value: {{ include "govmesh.schemasDir" $ | quote }}
- name: KAFKA_BROKERS
  value: {{ include "govmesh.kafkaBrokers" $ | quote }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "database.urlSecret.name (or services.%s.database.urlSecret.name) is required: a Secret holding DATABASE_URL" $name) $dbName | quote }}
      key: {{ required "database.urlSecret.key is required" $dbKey | quote }}
- name: HOST
  value: {{ $c.listenHost | quote }}
- name: HTTP_PORT
  value: {{ $c.httpPort | int64 | quote }}
- name: GRPC_PORT
  value: {{ $c.grpcPort | int64 | quote }}
- name: LOG_LEVEL
  value: {{ default $c.logLevel $svc.logLevel | quote }}
{{- with $c.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: OUTBOX_POLL_MS
  value: {{ $c.outboxPollMs | int64 | quote }}
- name: OUTBOX_BATCH
  value: {{ $c.outboxBatch | int64 | quote }}
- name: CONSUMER_MAX_ATTEMPTS
  value: {{ $c.consumerMaxAttempts | int64 | quote }}
- name: CONSUMER_SESSION_TIMEOUT_MS
  value: {{ $c.consumerSessionTimeoutMs | int64 | quote }}
- name: SHUTDOWN_GRACE_MS
  value: {{ $c.shutdownGraceMs | int64 | quote }}
- name: CONSUMER_GROUP_PREFIX
  value: {{ default $name $svc.consumerGroupPrefix | quote }}
{{- if has $name (list "catalog" "request") }}
- name: DEADLINE_SCAN_MS
  value: {{ $svc.config.deadlineScanMs | int64 | quote }}
{{- end }}
{{- if eq $name "request" }}
- name: UNCONDITIONAL_AUTO_GRANT
  value: {{ $svc.config.unconditionalAutoGrant | toString | quote }}
{{- end }}
{{- if eq $name "exchange" }}
- name: UPLOAD_MAX_BYTES
  value: {{ $svc.config.uploadMaxBytes | int64 | quote }}
- name: MASKING_KEY_FILE
  value: {{ printf "%s/%s" (include "govmesh.maskingKeyMountPath" $) $svc.config.maskingKeySecret.key | quote }}
{{- /* Never pseudonymise with the development key in a cluster: a missing key must fail the start. */}}
- name: MASKING_DEV_KEY
  value: "false"
- name: FILES_DIR
  value: {{ include "govmesh.filesMountPath" $ | quote }}
- name: FILE_LINK_TTL_S
  value: {{ $svc.config.fileLinkTtlSeconds | int64 | quote }}
- name: FILE_SIGNING_KEY_FILE
  value: {{ printf "%s/%s" (include "govmesh.fileSigningKeyMountPath" $) $svc.config.fileSigningKeySecret.key | quote }}
{{- /* Never sign file manifests with the development key in a cluster. */}}
- name: FILE_SIGNING_DEV_KEY
  value: "false"
{{- end }}
{{- if eq $name "audit" }}
{{- $a := $svc.config }}
- name: AUDIT_DB_SCHEMA
  value: {{ $a.dbSchema | quote }}
{{- with $a.dbAppRole }}
- name: AUDIT_DB_APP_ROLE
  value: {{ . | quote }}
{{- end }}
- name: LEDGER_SIGNING_KEY_FILE
  value: {{ printf "%s/%s" (include "govmesh.auditKeyMountPath" $) $a.signingKeySecret.key | quote }}
{{- /* Never let the service invent a log key in a cluster: a missing key must fail the start. */}}
- name: LEDGER_DEV_KEY
  value: "false"
{{- with $a.checkpointOrigin }}
- name: LEDGER_ORIGIN
  value: {{ . | quote }}
{{- end }}
{{- with $a.cosignerVkeys }}
- name: WITNESS_VKEYS
  value: {{ join "," . | quote }}
{{- end }}
{{- if $a.witness.keySecret.name }}
- name: WITNESS_KEY_FILE
  value: {{ printf "%s/%s" (include "govmesh.witnessKeyMountPath" $) $a.witness.keySecret.key | quote }}
{{- end }}
{{- with $a.witness.name }}
- name: WITNESS_NAME
  value: {{ . | quote }}
{{- end }}
{{- with $a.witness.logs }}
- name: WITNESS_LOGS
  value: {{ join "," . | quote }}
{{- end }}
{{- end }}
{{- $extra := merge (dict) ($svc.extraEnv | default dict) ($.Values.extraEnv | default dict) -}}
{{- range $k := keys $extra | sortAlpha }}
{{- if eq $k "FAILPOINTS" }}
{{- fail "FAILPOINTS is a test-only switch and is never set by this chart" }}
{{- end }}
- name: {{ $k }}
  value: {{ get $extra $k | toString | quote }}
{{- end }}
{{- end -}}

{{/*
The platform's Kafka topics, as a YAML list of {name, kind, retentionMs}: the events topic of each
stream (the replay source), the ingest edges, the audit checkpoints, and a <topic>.dlq dead-letter
topic for each of them (the consumers' dead-letter naming, backbone topics.deadLetter). The chart
test checks this list against every service's src/events/topics.ts.
*/}}
{{- define "govmesh.topics" -}}
{{- $p := .Values.platform.id -}}
{{- $t := .Values.kafka.topics -}}
{{- $base := list
  (dict "name" (printf "%s.catalog.events" $p) "kind" "events" "retentionMs" $t.eventRetentionMs)
  (dict "name" (printf "%s.catalog.ingest" $p) "kind" "ingest" "retentionMs" $t.ingestRetentionMs)
  (dict "name" (printf "%s.directory.events" $p) "kind" "events" "retentionMs" $t.eventRetentionMs)
  (dict "name" (printf "%s.request.events" $p) "kind" "events" "retentionMs" $t.eventRetentionMs)
  (dict "name" (printf "%s.request.ingest" $p) "kind" "ingest" "retentionMs" $t.ingestRetentionMs)
  (dict "name" (printf "%s.exchange.events" $p) "kind" "events" "retentionMs" $t.eventRetentionMs)
  (dict "name" (printf "%s.audit.events" $p) "kind" "events" "retentionMs" $t.eventRetentionMs)
  (dict "name" (printf "%s.audit.checkpoints" $p) "kind" "checkpoints" "retentionMs" $t.eventRetentionMs)
-}}
{{- $all := list -}}
{{- range $base -}}
{{- $all = append $all . -}}
{{- $all = append $all (dict "name" (printf "%s.dlq" .name) "kind" "dead-letter" "retentionMs" $t.deadLetterRetentionMs) -}}
{{- end -}}
{{- toYaml $all -}}
{{- end -}}
