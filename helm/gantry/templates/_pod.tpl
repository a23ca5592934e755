{{/* The pod, shared by the Deployment and the StatefulSet. */}}
{{- define "gantry.podTemplate" -}}
metadata:
  labels:
    {{- include "gantry.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # A changed gantry.yaml changes this, so `helm upgrade` rolls the pods.
    checksum/config: {{ include "gantry.config" . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "gantry.serviceAccountName" . }}
  # Gantry does not talk to the Kubernetes API.
  automountServiceAccountToken: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: gantry
      image: {{ include "gantry.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      {{- if .Values.command }}
      command:
        {{- toYaml .Values.command | nindent 8 }}
      {{- else }}
      # The image's entrypoint, spelt out so that javaOpts come after its flags and win.
      command:
        - {{ .Values.jvm.java | quote }}
        {{- range .Values.jvm.flags }}
        - {{ . | quote }}
        {{- end }}
        {{- range splitList " " .Values.javaOpts }}
        {{- if . }}
        - {{ . | quote }}
        {{- end }}
        {{- end }}
        - "-jar"
        - {{ .Values.jvm.jar | quote }}
      {{- end }}
      args: ["serve", "--config", "{{ include "gantry.configDir" . }}/gantry.yaml"]
      ports:
        - name: registry
          containerPort: {{ .Values.containerPort }}
          protocol: TCP
      env:
        - name: GANTRY_LOG_LEVEL
          value: {{ .Values.logLevel | quote }}
        {{- with .Values.secrets.s3 }}
        {{- if .existingSecret }}
        - name: S3_ACCESS_KEY_ID
          valueFrom:
            secretKeyRef:
              name: {{ .existingSecret }}
              key: {{ .accessKeyIdKey }}
        - name: S3_SECRET_ACCESS_KEY
          valueFrom:
            secretKeyRef:
              name: {{ .existingSecret }}
              key: {{ .secretAccessKeyKey }}
        {{- end }}
        {{- end }}
        {{- range $name, $creds := .Values.secrets.upstreams }}
        {{- $prefix := include "gantry.upstreamEnvPrefix" $name }}
        - name: {{ $prefix }}_USERNAME
          valueFrom:
            secretKeyRef:
              name: {{ $creds.existingSecret }}
              key: {{ $creds.usernameKey | default "username" }}
        - name: {{ $prefix }}_PASSWORD
          valueFrom:
            secretKeyRef:
              name: {{ $creds.existingSecret }}
              key: {{ $creds.passwordKey | default "password" }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with .Values.extraEnvFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- $probe := dict "path" "/healthz" "port" "registry" "scheme" (upper (include "gantry.scheme" .)) }}
      startupProbe:
        httpGet: {{- toYaml $probe | nindent 10 }}
        {{- toYaml .Values.probes.startup | nindent 8 }}
      livenessProbe:
        httpGet: {{- toYaml $probe | nindent 10 }}
        {{- toYaml .Values.probes.liveness | nindent 8 }}
      readinessProbe:
        httpGet: {{- toYaml (set (deepCopy $probe) "path" "/readyz") | nindent 10 }}
        {{- toYaml .Values.probes.readiness | nindent 8 }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: {{ include "gantry.configDir" . }}
          readOnly: true
        - name: data
          mountPath: {{ .Values.persistence.mountPath }}
        # The JVM's temporary files (perf data, Netty's native transport) on a read-only root.
        - name: tmp
          mountPath: /tmp
        {{- if .Values.secrets.tls.existingSecret }}
        - name: tls
          mountPath: {{ include "gantry.tlsDir" . }}
          readOnly: true
        {{- end }}
        {{- if .Values.secrets.htpasswd.existingSecret }}
        - name: htpasswd
          mountPath: {{ include "gantry.authDir" . }}
          readOnly: true
        {{- end }}
        {{- if .Values.secrets.tokenKeys.existingSecret }}
        - name: token-keys
          mountPath: {{ include "gantry.tokenKeysDir" . }}
          readOnly: true
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "gantry.fullname" . }}
    {{- if eq .Values.persistence.mode "emptyDir" }}
    - name: data
      emptyDir:
        sizeLimit: {{ .Values.persistence.size }}
    {{- else if eq .Values.persistence.mode "claim" }}
    - name: data
      persistentVolumeClaim:
        claimName: {{ .Values.persistence.existingClaim | default (include "gantry.fullname" .) }}
    {{- end }}
    - name: tmp
      emptyDir:
        sizeLimit: 256Mi
    {{- with .Values.secrets.tls }}
    {{- if .existingSecret }}
    - name: tls
      secret:
        secretName: {{ .existingSecret }}
        defaultMode: 0440
        items:
          - key: {{ .certKey }}
            path: {{ .certKey }}
          - key: {{ .keyKey }}
            path: {{ .keyKey }}
    {{- end }}
    {{- end }}
    {{- with .Values.secrets.htpasswd }}
    {{- if .existingSecret }}
    - name: htpasswd
      secret:
        secretName: {{ .existingSecret }}
        defaultMode: 0440
        items:
          - key: {{ .key }}
            path: htpasswd
    {{- end }}
    {{- end }}
    {{- with .Values.secrets.tokenKeys }}
    {{- if .existingSecret }}
    - name: token-keys
      secret:
        secretName: {{ .existingSecret }}
        defaultMode: 0440
        items:
          {{- range .keys }}
          - key: {{ . }}
            path: {{ . }}
          {{- end }}
    {{- end }}
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml .Values.topologySpreadConstraints | nindent 4 }}
  {{- else if gt (int (include "gantry.maxReplicas" .)) 1 }}
  # Several replicas: one zone or node going away must not take the mirror with it.
  topologySpreadConstraints:
    - maxSkew: 1
      topologyKey: topology.kubernetes.io/zone
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "gantry.selectorLabels" . | nindent 10 }}
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "gantry.selectorLabels" . | nindent 10 }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
