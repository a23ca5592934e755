{{/* Names and labels. */}}
{{- define "gantry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gantry.fullname" -}}
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

{{- define "gantry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gantry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gantry.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "gantry.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: registry-mirror
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "gantry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "gantry.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "gantry.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Where the chart mounts what it renders or references. */}}
{{- define "gantry.configDir" -}}/etc/gantry/config{{- end -}}
{{- define "gantry.tlsDir" -}}/etc/gantry/tls{{- end -}}
{{- define "gantry.authDir" -}}/etc/gantry/auth{{- end -}}
{{- define "gantry.tokenKeysDir" -}}/etc/gantry/token-keys{{- end -}}

{{/* Whether the front end speaks TLS: a referenced certificate or `tls: auto`. */}}
{{- define "gantry.tlsEnabled" -}}
{{- $tls := get .Values.config "tls" -}}
{{- if or .Values.secrets.tls.existingSecret (eq (toString $tls) "auto") (and (kindIs "map" $tls) (get $tls "auto")) (and (kindIs "map" $tls) (get $tls "certFile")) -}}
true
{{- end -}}
{{- end -}}

{{- define "gantry.scheme" -}}
{{- if include "gantry.tlsEnabled" . }}https{{ else }}http{{ end -}}
{{- end -}}

{{/* The most pods that can run at once: what the S3 requirement is checked against. */}}
{{- define "gantry.maxReplicas" -}}
{{- if .Values.autoscaling.enabled -}}
{{- max (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas) -}}
{{- else -}}
{{- int .Values.replicaCount -}}
{{- end -}}
{{- end -}}

{{- define "gantry.s3Bucket" -}}
{{- $storage := get .Values.config "storage" | default dict -}}
{{- $s3 := get $storage "s3" | default dict -}}
{{- get $s3 "bucket" -}}
{{- end -}}

{{/* docker.io -> GANTRY_UPSTREAM_DOCKER_IO: the env var prefix of an upstream's credentials. */}}
{{- define "gantry.upstreamEnvPrefix" -}}
{{- printf "GANTRY_UPSTREAM_%s" (regexReplaceAll "[^A-Z0-9]+" (upper .) "_") -}}
{{- end -}}

{{/* A value that is an environment reference (${NAME} or ${NAME:-default}), not a credential in clear. */}}
{{- define "gantry.isEnvRef" -}}
{{- if regexMatch "^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}$" (toString .) }}true{{ end -}}
{{- end -}}

{{/*
Refuses values that would deploy something broken, with a message saying
what to change. Included by the ConfigMap, so `helm lint`, `helm template`
and `helm install` all stop on it.
*/}}
{{- define "gantry.validate" -}}
{{- $replicas := int (include "gantry.maxReplicas" .) -}}
{{- if and (gt $replicas 1) (not (include "gantry.s3Bucket" .)) -}}
{{- fail (printf "gantry: %d replicas need a shared S3 bucket: set config.storage.s3.bucket (and endpoint, secrets.s3...). Replicas share one cache only through S3; without it each would fetch and keep its own copy, and a push to one would be invisible to the others (README: \"Several replicas on one bucket\"). Or run one replica (replicaCount: 1, autoscaling.enabled: false)." $replicas) -}}
{{- end -}}
{{- if and (eq .Values.persistence.mode "claim") (gt $replicas 1) -}}
{{- fail "gantry: persistence.mode=claim gives all pods one volume, which only one Gantry may use; with several replicas use persistence.mode=perReplica (a StatefulSet) or emptyDir (with S3 an emptyDir is enough)." -}}
{{- end -}}
{{- if and (eq .Values.persistence.mode "perReplica") .Values.persistence.existingClaim -}}
{{- fail "gantry: persistence.existingClaim goes with persistence.mode=claim; perReplica creates one claim per replica." -}}
{{- end -}}
{{- $config := .Values.config -}}
{{- if hasKey $config "listen" -}}
{{- fail "gantry: config.listen is set by the chart (0.0.0.0:<containerPort>); set containerPort instead." -}}
{{- end -}}
{{- $storage := get $config "storage" | default dict -}}
{{- if hasKey (get $storage "disk" | default dict) "path" -}}
{{- fail "gantry: config.storage.disk.path is set by the chart from persistence.mountPath; set that instead." -}}
{{- end -}}
{{- $s3 := get $storage "s3" | default dict -}}
{{- range $key := list "accessKeyId" "secretAccessKey" -}}
{{- if and (hasKey $s3 $key) (not (include "gantry.isEnvRef" (get $s3 $key))) -}}
{{- fail (printf "gantry: config.storage.s3.%s must not hold a credential in clear (the ConfigMap is readable by anyone who can read the namespace): use secrets.s3.existingSecret, or a ${NAME} reference filled by extraEnv." $key) -}}
{{- end -}}
{{- end -}}
{{- if and $.Values.secrets.s3.existingSecret (or (hasKey $s3 "accessKeyId") (hasKey $s3 "secretAccessKey")) -}}
{{- fail "gantry: config.storage.s3.accessKeyId/secretAccessKey are set by the chart when secrets.s3.existingSecret is given; remove them from config." -}}
{{- end -}}
{{- $names := list -}}
{{- range $i, $u := (get $config "upstreams" | default list) -}}
{{- $names = append $names (get $u "name") -}}
{{- range $key := list "username" "password" -}}
{{- if and (hasKey $u $key) (not (include "gantry.isEnvRef" (get $u $key))) -}}
{{- fail (printf "gantry: config.upstreams[%d].%s must not hold a credential in clear (the ConfigMap is readable by anyone who can read the namespace): use secrets.upstreams[\"%s\"], or a ${NAME} reference filled by extraEnv." $i $key (get $u "name")) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $name, $_ := .Values.secrets.upstreams -}}
{{- if not (has $name $names) -}}
{{- fail (printf "gantry: secrets.upstreams names '%s', which is not the name of any config.upstreams entry (%s)." $name (join ", " $names)) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.secrets.tls.existingSecret (not (empty (get $config "tls"))) -}}
{{- fail "gantry: secrets.tls.existingSecret sets config.tls (certFile, keyFile); remove config.tls or the secret." -}}
{{- end -}}
{{- if and .Values.secrets.htpasswd.existingSecret (hasKey (get $config "auth" | default dict) "htpasswd") -}}
{{- fail "gantry: secrets.htpasswd.existingSecret sets config.auth.htpasswd; remove one of them." -}}
{{- end -}}
{{- $configKeys := hasKey (get $config "auth" | default dict) "tokenKeys" -}}
{{- if and .Values.secrets.tokenKeys.existingSecret $configKeys -}}
{{- fail "gantry: secrets.tokenKeys.existingSecret sets config.auth.tokenKeys; remove one of them." -}}
{{- end -}}
{{- if and .Values.secrets.tokenKeys.existingSecret (empty .Values.secrets.tokenKeys.keys) -}}
{{- fail "gantry: secrets.tokenKeys.keys must name at least one key of the Secret (the signing key first)." -}}
{{- end -}}
{{- /* Each replica would sign with a key of its own and refuse the others' tokens. */ -}}
{{- if and .Values.secrets.htpasswd.existingSecret (get $s3 "bucket") (not .Values.secrets.tokenKeys.existingSecret) (not $configKeys) -}}
{{- fail "gantry: users (secrets.htpasswd) on a shared S3 bucket need one token signing key for every replica: set secrets.tokenKeys.existingSecret to a Secret holding a PEM EC P-256 key (openssl ecparam -name prime256v1 -genkey -noout -out token-key.pem; kubectl create secret generic gantry-token-keys --from-file=token-key.pem)." -}}
{{- end -}}
{{- end -}}

{{/*
gantry.yaml: config from values, plus what the chart owns: the listen
address, the data path, and references to the mounted or injected secrets.
*/}}
{{- define "gantry.config" -}}
{{- $c := deepCopy .Values.config -}}
{{- $_ := set $c "listen" (printf "0.0.0.0:%d" (int .Values.containerPort)) -}}
{{- $storage := get $c "storage" | default dict -}}
{{- $disk := get $storage "disk" | default dict -}}
{{- $_ := set $disk "path" .Values.persistence.mountPath -}}
{{- $_ := set $storage "disk" $disk -}}
{{- $s3 := get $storage "s3" | default dict -}}
{{- if .Values.secrets.s3.existingSecret -}}
{{- $_ := set $s3 "accessKeyId" "${S3_ACCESS_KEY_ID}" -}}
{{- $_ := set $s3 "secretAccessKey" "${S3_SECRET_ACCESS_KEY}" -}}
{{- end -}}
{{- if $s3 -}}
{{- $_ := set $storage "s3" $s3 -}}
{{- else -}}
{{- $_ := unset $storage "s3" -}}
{{- end -}}
{{- $_ := set $c "storage" $storage -}}
{{- $upstreams := list -}}
{{- range $u := (get $c "upstreams" | default list) -}}
{{- $creds := get $.Values.secrets.upstreams (get $u "name") -}}
{{- if $creds -}}
{{- $prefix := include "gantry.upstreamEnvPrefix" (get $u "name") -}}
{{- $_ := set $u "username" (printf "${%s_USERNAME}" $prefix) -}}
{{- $_ := set $u "password" (printf "${%s_PASSWORD}" $prefix) -}}
{{- end -}}
{{- $upstreams = append $upstreams $u -}}
{{- end -}}
{{- $_ := set $c "upstreams" $upstreams -}}
{{- if .Values.secrets.tls.existingSecret -}}
{{- $_ := set $c "tls" (dict "certFile" (printf "%s/%s" (include "gantry.tlsDir" .) .Values.secrets.tls.certKey) "keyFile" (printf "%s/%s" (include "gantry.tlsDir" .) .Values.secrets.tls.keyKey)) -}}
{{- end -}}
{{- if .Values.secrets.htpasswd.existingSecret -}}
{{- $auth := get $c "auth" | default dict -}}
{{- $_ := set $auth "htpasswd" (printf "%s/htpasswd" (include "gantry.authDir" .)) -}}
{{- $_ := set $c "auth" $auth -}}
{{- end -}}
{{- if .Values.secrets.tokenKeys.existingSecret -}}
{{- $auth := get $c "auth" | default dict -}}
{{- $files := list -}}
{{- range $k := .Values.secrets.tokenKeys.keys -}}
{{- $files = append $files (printf "%s/%s" (include "gantry.tokenKeysDir" $) $k) -}}
{{- end -}}
{{- $_ := set $auth "tokenKeys" $files -}}
{{- $_ := set $c "auth" $auth -}}
{{- end -}}
{{- range $key := list "cache" "prefetch" "hosted" "auth" "tls" "hardware" "server" -}}
{{- if empty (get $c $key) -}}
{{- $_ := unset $c $key -}}
{{- end -}}
{{- end -}}
{{- /* In conf/gantry.yaml's order, so it reads like the file operators know. */ -}}
{{- range $key := list "listen" "upstreams" "cache" "storage" "prefetch" "hosted" "auth" "tls" "hardware" "server" -}}
{{- if hasKey $c $key }}
{{ toYaml (dict $key (get $c $key)) }}
{{- end -}}
{{- end -}}
{{- end -}}
