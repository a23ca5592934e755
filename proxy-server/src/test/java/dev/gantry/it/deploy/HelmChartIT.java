package dev.gantry.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.gantry.testing.GantryProcess;
import dev.gantry.testing.Launcher;
import dev.gantry.testing.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Helm chart against the server it deploys. Each CI values file lints
 * strictly and renders; the rendered gantry.yaml is accepted by the real jar
 * with exactly the environment the rendered pod would have, so chart and
 * server cannot drift apart. The rendered objects carry the probes, security
 * settings, replica layout and secret wiring the chart promises, and wrong
 * values stop at lint or render time with a message saying what to change.
 */
class HelmChartIT {

    static final Path CHART = Path.of("..", "helm", "gantry").toAbsolutePath().normalize();
    static final String RELEASE = "mirror";
    static final String NAMESPACE = "registry";
    static final Pattern ENV_REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?}");
    static final YAMLMapper YAML = YAMLMapper.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build();

    @TempDir
    static Path tmp;

    static Path helm;

    @BeforeAll
    static void requireHelm() {
        helm = Tools.require("helm");
    }

    static Stream<String> ciValues() {
        return Stream.of("default-values.yaml", "s3-replicas-values.yaml", "tls-values.yaml");
    }

    // ---- every CI values file ----------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("ciValues")
    void lintsStrictly(String values) {
        Tools.Result lint = helm("lint", "--strict", CHART.toString(), "-f", ci(values));
        assertThat(lint.exit()).as(lint.stdout() + lint.stderr()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ciValues")
    void renderedConfigIsAcceptedByTheServerWithThePodsEnvironment(String values) throws IOException {
        Rendered r = render(values);
        Path file = Files.writeString(tmp.resolve("validate-" + values), r.gantryYaml());

        Tools.Result ok = validate(file, podEnvironment(r.container()));

        assertThat(ok.exit()).as("gantry config validate of\n" + r.gantryYaml() + "\nstderr: " + ok.stderr()).isZero();
        assertThat(ok.stdout()).startsWith("ok: listen 0.0.0.0:" + r.containerPort());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ciValues")
    void everyEnvironmentReferenceInTheConfigIsSetByThePod(String values) {
        Rendered r = render(values);
        Set<String> podEnv = podEnvironment(r.container()).keySet();
        Matcher m = ENV_REF.matcher(r.gantryYaml());
        while (m.find()) {
            if (m.group(2) == null) {
                assertThat(podEnv).as("${" + m.group(1) + "} in gantry.yaml").contains(m.group(1));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ciValues")
    void configIsMountedWhereTheServerReadsItAndDataGoesToAWritableVolume(String values) {
        Rendered r = render(values);
        JsonNode container = r.container();
        String configMap = r.one("ConfigMap").path("metadata").path("name").asText();
        String configVolume = volumeNamed(r, v -> configMap.equals(v.path("configMap").path("name").asText()));
        String configDir = mountOf(container, configVolume).path("mountPath").asText();
        assertThat(texts(container.path("args"))).containsSubsequence("serve", "--config", configDir + "/gantry.yaml");

        String dataPath = r.config().path("storage").path("disk").path("path").asText();
        JsonNode dataMount = mountAt(container, dataPath);
        assertThat(dataMount.path("readOnly").asBoolean(false)).as("data mount read-only").isFalse();
        assertThat(mountAt(container, "/tmp").path("readOnly").asBoolean(false)).isFalse();

        assertThat(r.config().path("listen").asText()).isEqualTo("0.0.0.0:" + r.containerPort());
        JsonNode servicePort = r.service().path("spec").path("ports").get(0);
        assertThat(servicePort.path("targetPort").asText()).isEqualTo("registry");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ciValues")
    void probesAskHealthzForLivenessAndReadyzForReadiness(String values) {
        Rendered r = render(values);
        JsonNode c = r.container();
        String scheme = r.config().path("tls").isMissingNode() ? "HTTP" : "HTTPS";
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            JsonNode get = c.path(probe).path("httpGet");
            assertThat(get.path("path").asText()).as(probe).isEqualTo(probe.equals("readinessProbe") ? "/readyz" : "/healthz");
            assertThat(get.path("port").asText()).as(probe).isEqualTo("registry");
            assertThat(get.path("scheme").asText()).as(probe).isEqualTo(scheme);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ciValues")
    void podRunsAsAFixedNonRootUserOnAReadOnlyRootWithoutCapabilities(String values) {
        Rendered r = render(values);
        JsonNode pod = r.pod().path("securityContext");
        JsonNode c = r.container().path("securityContext");
        assertThat(pod.path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(c.path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(c.path("runAsUser").asInt()).isPositive().isEqualTo(pod.path("runAsUser").asInt());
        assertThat(c.path("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(c.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
        assertThat(texts(c.path("capabilities").path("drop"))).containsExactly("ALL");
        assertThat(c.path("capabilities").path("add").isMissingNode()).isTrue();
        assertThat(pod.path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
        assertThat(c.path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
        assertThat(r.pod().path("automountServiceAccountToken").asBoolean(true)).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ciValues")
    void credentialsReachThePodFromSecretsAndNeverTheConfigMap(String values) {
        Rendered r = render(values);
        assertThat(r.all("Secret")).as("the chart creates no Secret").isEmpty();
        Map<String, JsonNode> env = new LinkedHashMap<>();
        r.container().path("env").forEach(e -> env.put(e.path("name").asText(), e));
        for (JsonNode credential : credentialsIn(r.config())) {
            Matcher m = ENV_REF.matcher(credential.asText());
            assertThat(m.matches()).as("credential in ConfigMap: " + credential.asText()).isTrue();
            JsonNode var = env.get(m.group(1));
            assertThat(var).as("env " + m.group(1)).isNotNull();
            assertThat(var.has("value")).as(m.group(1) + " holds a literal value").isFalse();
            assertThat(var.path("valueFrom").path("secretKeyRef").path("name").asText()).isNotEmpty();
        }
    }

    // ---- what each CI values file is for ----------------------------------------------------

    @Test
    void theJvmCommandIsTheImagesEntrypointAndJavaOptsOverrideItsFlags() {
        // The image's entrypoint is java with bin/gantry's flags (ContainerImageIT checks the image side).
        List<String> entrypoint = new ArrayList<>();
        entrypoint.add("/usr/bin/java");
        entrypoint.addAll(Launcher.jvmFlags());
        List<String> expected = new ArrayList<>(entrypoint);
        expected.addAll(List.of("-jar", "/opt/gantry/gantry.jar"));
        assertThat(texts(render("default-values.yaml").container().path("command"))).isEqualTo(expected);

        List<String> raised = new ArrayList<>(entrypoint);
        raised.addAll(List.of("-Xmx512m", "-XX:MaxDirectMemorySize=128m", "-jar", "/opt/gantry/gantry.jar"));
        Rendered r = render("default-values.yaml", "javaOpts=-Xmx512m -XX:MaxDirectMemorySize=128m");
        assertThat(texts(r.container().path("command"))).as("a later -Xmx wins").isEqualTo(raised);
        assertThat(texts(r.container().path("args"))).containsExactly("serve", "--config", "/etc/gantry/config/gantry.yaml");
    }

    @Test
    void defaultIsOneDeploymentReplicaOnAnEmptyDir() {
        Rendered r = render("default-values.yaml");
        assertThat(r.workload().path("kind").asText()).isEqualTo("Deployment");
        assertThat(r.workload().path("spec").path("replicas").asInt()).isEqualTo(1);
        assertThat(r.volume("data").has("emptyDir")).isTrue();
        assertThat(r.all("StatefulSet")).isEmpty();
        assertThat(r.all("PersistentVolumeClaim")).isEmpty();
        assertThat(r.all("HorizontalPodAutoscaler")).isEmpty();
        assertThat(r.all("ServiceMonitor")).isEmpty();
        assertThat(r.config().path("storage").has("s3")).isFalse();
        assertThat(r.service().path("spec").path("sessionAffinity").asText()).isEqualTo("None");
    }

    @Test
    void s3ReplicasShareOneBucketAreAutoscaledFromThreeAndSpreadOut() {
        Rendered r = render("s3-replicas-values.yaml");
        JsonNode deployment = r.workload();
        assertThat(deployment.path("kind").asText()).isEqualTo("Deployment");
        assertThat(deployment.path("spec").has("replicas")).as("the HPA owns the replica count").isFalse();

        JsonNode hpa = r.one("HorizontalPodAutoscaler");
        assertThat(hpa.path("apiVersion").asText()).isEqualTo("autoscaling/v2");
        assertThat(hpa.path("spec").path("minReplicas").asInt()).isEqualTo(3);
        assertThat(hpa.path("spec").path("maxReplicas").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(hpa.path("spec").path("scaleTargetRef").path("kind").asText()).isEqualTo("Deployment");
        assertThat(hpa.path("spec").path("scaleTargetRef").path("name").asText()).isEqualTo(deployment.path("metadata").path("name").asText());

        // Upload sessions live in the bucket: any replica continues any push, so no affinity.
        assertThat(r.service().path("spec").path("sessionAffinity").asText()).isEqualTo("None");

        JsonNode pdb = r.one("PodDisruptionBudget");
        assertThat(pdb.path("spec").path("minAvailable").asInt()).isEqualTo(2);
        assertSelects(pdb.path("spec").path("selector").path("matchLabels"), r.podLabels());

        assertThat(r.pod().path("topologySpreadConstraints").findValuesAsText("topologyKey"))
                .contains("kubernetes.io/hostname", "topology.kubernetes.io/zone");

        JsonNode s3 = r.config().path("storage").path("s3");
        assertThat(s3.path("bucket").asText()).isEqualTo("gantry");
        assertThat(s3.path("accessKeyId").asText()).isEqualTo("${S3_ACCESS_KEY_ID}");
        assertThat(s3.path("secretAccessKey").asText()).isEqualTo("${S3_SECRET_ACCESS_KEY}");
        assertThat(secretRef(r.container(), "S3_ACCESS_KEY_ID")).isEqualTo("gantry-s3/accessKeyId");
        assertThat(secretRef(r.container(), "S3_SECRET_ACCESS_KEY")).isEqualTo("gantry-s3/secretAccessKey");
        JsonNode dockerHub = r.config().path("upstreams").get(0);
        assertThat(dockerHub.path("password").asText()).isEqualTo("${GANTRY_UPSTREAM_DOCKER_IO_PASSWORD}");
        assertThat(secretRef(r.container(), "GANTRY_UPSTREAM_DOCKER_IO_PASSWORD")).isEqualTo("dockerhub-credentials/token");

        JsonNode monitor = r.one("ServiceMonitor");
        assertThat(monitor.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
        assertThat(endpoint.path("port").asText()).isEqualTo("registry");
        assertThat(endpoint.path("path").asText()).isEqualTo("/metrics");
        assertSelects(monitor.path("spec").path("selector").path("matchLabels"), r.service().path("metadata").path("labels"));
    }

    @Test
    void aHeadlessServiceGivesEveryReplicaADnsRecordForDiscovery() {
        Rendered r = render("s3-replicas-values.yaml");
        List<JsonNode> headless = r.all("Service").stream().filter(s -> "None".equals(s.path("spec").path("clusterIP").asText())).toList();
        assertThat(headless).hasSize(1);
        JsonNode discovery = headless.get(0);
        assertThat(discovery.path("metadata").path("name").asText()).isEqualTo(r.service().path("metadata").path("name").asText() + "-headless");
        assertSelects(discovery.path("spec").path("selector"), r.podLabels());
        assertThat(discovery.path("spec").path("ports").findValuesAsText("targetPort")).containsExactly("registry");
        JsonNode monitorSelector = r.one("ServiceMonitor").path("spec").path("selector").path("matchLabels");
        assertThat(selects(monitorSelector, discovery.path("metadata").path("labels"))).as("scraping every pod twice").isFalse();
    }

    @Test
    void aClientIpAffinityIsStillThereForWhoAsksForIt() {
        Rendered r = render("s3-replicas-values.yaml", "service.sessionAffinity=ClientIP");
        assertThat(r.service().path("spec").path("sessionAffinity").asText()).isEqualTo("ClientIP");
    }

    @Test
    void tlsAndHtpasswdAreMountedFromTheReferencedSecrets() {
        Rendered r = render("tls-values.yaml");
        JsonNode tls = r.volume("tls").path("secret");
        assertThat(tls.path("secretName").asText()).isEqualTo("gantry-tls");
        String tlsDir = mountOf(r.container(), "tls").path("mountPath").asText();
        assertThat(r.config().path("tls").path("certFile").asText()).isEqualTo(tlsDir + "/tls.crt");
        assertThat(r.config().path("tls").path("keyFile").asText()).isEqualTo(tlsDir + "/tls.key");
        assertThat(tls.path("items").findValuesAsText("path")).containsExactlyInAnyOrder("tls.crt", "tls.key");

        JsonNode htpasswd = r.volume("htpasswd").path("secret");
        assertThat(htpasswd.path("secretName").asText()).isEqualTo("gantry-htpasswd");
        String authDir = mountOf(r.container(), "htpasswd").path("mountPath").asText();
        assertThat(r.config().path("auth").path("htpasswd").asText()).isEqualTo(authDir + "/" + htpasswd.path("items").get(0).path("path").asText());
        assertThat(r.config().path("auth").path("anonymousPull").asBoolean(true)).isFalse();

        // One replica on a claim kept across restarts: the old pod lets go of it first.
        assertThat(r.workload().path("spec").path("replicas").asInt()).isEqualTo(1);
        assertThat(r.workload().path("spec").path("strategy").path("type").asText()).isEqualTo("Recreate");
        JsonNode pvc = r.one("PersistentVolumeClaim");
        assertThat(pvc.path("spec").path("resources").path("requests").path("storage").asText()).isEqualTo("50Gi");
        assertThat(r.volume("data").path("persistentVolumeClaim").path("claimName").asText()).isEqualTo(pvc.path("metadata").path("name").asText());
        assertThat(r.service().path("spec").path("ports").get(0).path("nodePort").asInt()).isEqualTo(30500);
    }

    @Test
    void everyReplicaMountsTheSharedTokenKeysNamedInAuthTokenKeysSigningKeyFirst() {
        Rendered r = render("s3-replicas-values.yaml", "secrets.tokenKeys.keys={new.pem,old.pem}");
        JsonNode keys = r.volume("token-keys").path("secret");
        assertThat(keys.path("secretName").asText()).isEqualTo("gantry-token-keys");
        assertThat(keys.path("items").findValuesAsText("key")).containsExactly("new.pem", "old.pem");
        String dir = mountOf(r.container(), "token-keys").path("mountPath").asText();
        assertThat(mountOf(r.container(), "token-keys").path("readOnly").asBoolean()).isTrue();
        assertThat(r.config().path("auth").path("tokenKeys").toString())
                .isEqualTo("[\"" + dir + "/new.pem\",\"" + dir + "/old.pem\"]");
        assertThat(render("default-values.yaml").pod().path("volumes").findValuesAsText("name")).doesNotContain("token-keys");
    }

    @Test
    void usersOnASharedBucketWithoutASharedTokenKeyAreRefused() {
        Tools.Result refused = helm("template", RELEASE, CHART.toString(), "-f", ci("s3-replicas-values.yaml"),
                "--set", "secrets.tokenKeys.existingSecret=");
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.stderr()).contains("users (secrets.htpasswd) on a shared S3 bucket need one token signing key for every replica: "
                + "set secrets.tokenKeys.existingSecret");
    }

    @Test
    void theGrafanaDashboardIsAnOptionalConfigMapForTheSidecar() throws IOException {
        Predicate<JsonNode> dashboard = o -> o.path("metadata").path("labels").has("grafana_dashboard");
        assertThat(render("default-values.yaml").all("ConfigMap")).noneMatch(dashboard);
        Rendered r = render("default-values.yaml", "grafana.dashboard.enabled=true", "grafana.dashboard.labels.team=registry",
                "grafana.dashboard.annotations.grafana_folder=Registry");
        List<JsonNode> maps = r.all("ConfigMap").stream().filter(dashboard).toList();
        assertThat(maps).hasSize(1);
        JsonNode map = maps.get(0);
        assertThat(map.path("metadata").path("labels").path("grafana_dashboard").asText()).isEqualTo("1");
        assertThat(map.path("metadata").path("labels").path("team").asText()).isEqualTo("registry");
        assertThat(map.path("metadata").path("annotations").path("grafana_folder").asText()).isEqualTo("Registry");
        JsonNode shipped = new com.fasterxml.jackson.databind.ObjectMapper().readTree(map.path("data").path("gantry.json").asText());
        assertThat(shipped).isEqualTo(new com.fasterxml.jackson.databind.ObjectMapper().readTree(GrafanaDashboardIT.DASHBOARD.toFile()));
        assertThat(shipped.path("uid").asText()).isEqualTo("gantry-overview");
        // The server's own ConfigMap is still the one the pod mounts.
        assertThat(r.config().path("upstreams")).isNotEmpty();
        Tools.Result lint = helm("lint", "--strict", CHART.toString(), "-f", ci("default-values.yaml"), "--set", "grafana.dashboard.enabled=true");
        assertThat(lint.exit()).as(lint.stdout() + lint.stderr()).isZero();
    }

    @Test
    void perReplicaVolumeMakesAStatefulSetWithAClaimPerPod() {
        Rendered r = render("s3-replicas-values.yaml", "persistence.mode=perReplica", "persistence.size=30Gi");
        JsonNode sts = r.workload();
        assertThat(sts.path("kind").asText()).isEqualTo("StatefulSet");
        assertThat(r.all("Deployment")).isEmpty();
        assertThat(r.all("PersistentVolumeClaim")).isEmpty();
        JsonNode claim = sts.path("spec").path("volumeClaimTemplates").get(0);
        assertThat(claim.path("metadata").path("name").asText()).isEqualTo("data");
        assertThat(claim.path("spec").path("resources").path("requests").path("storage").asText()).isEqualTo("30Gi");
        assertThat(r.pod().path("volumes").findValuesAsText("name")).doesNotContain("data");
        assertThat(mountOf(r.container(), "data").path("mountPath").asText())
                .isEqualTo(r.config().path("storage").path("disk").path("path").asText());
        assertThat(r.one("HorizontalPodAutoscaler").path("spec").path("scaleTargetRef").path("kind").asText()).isEqualTo("StatefulSet");

        String serviceName = sts.path("spec").path("serviceName").asText();
        JsonNode headless = r.all("Service").stream().filter(s -> serviceName.equals(s.path("metadata").path("name").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no Service " + serviceName));
        assertThat(headless.path("spec").path("clusterIP").asText()).isEqualTo("None");
        JsonNode monitorSelector = r.one("ServiceMonitor").path("spec").path("selector").path("matchLabels");
        assertThat(selects(monitorSelector, headless.path("metadata").path("labels"))).as("scraping every pod twice").isFalse();
    }

    @Test
    void aConfigChangeRollsThePods() {
        String before = render("default-values.yaml").podAnnotation("checksum/config");
        String same = render("default-values.yaml").podAnnotation("checksum/config");
        String after = render("default-values.yaml", "config.cache.tagTtl=5m").podAnnotation("checksum/config");
        assertThat(before).isNotEmpty().isEqualTo(same);
        assertThat(after).isNotEqualTo(before);
    }

    @Test
    void probePathsAnswerOnAServerStartedWithTheRenderedConfig() throws Exception {
        Rendered r = render("default-values.yaml");
        ObjectNode config = (ObjectNode) r.config().deepCopy();
        // What differs between the pod and this machine: the port (GantryProcess picks a free one) and the data path.
        config.remove("listen");
        ((ObjectNode) config.path("storage").path("disk")).put("path", tmp.resolve("served-data").toString());
        try (GantryProcess gantry = GantryProcess.start(tmp.resolve("served"), YAML.writeValueAsString(config))) {
            HttpClient client = HttpClient.newHttpClient();
            for (String probe : List.of("livenessProbe", "readinessProbe")) {
                String path = r.container().path(probe).path("httpGet").path("path").asText();
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(gantry.url() + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(probe + " " + path).isEqualTo(200);
            }
        }
    }

    @Test
    void configValidationFailsWithoutThePodsEnvironment() throws IOException {
        // The converse of the test above: the rendered config really depends on the env vars the pod sets.
        Rendered r = render("s3-replicas-values.yaml");
        Path file = Files.writeString(tmp.resolve("no-env.yaml"), r.gantryYaml());
        Tools.Result failed = validate(file, Map.of());
        assertThat(failed.exit()).isEqualTo(2);
        assertThat(failed.stderr()).contains("is not set");
    }

    @Test
    void notesPointContainerdAndDockerAtTheService() throws IOException {
        String plain = notes("default-values.yaml");
        assertThat(plain).contains("kubectl --namespace " + NAMESPACE + " get service " + RELEASE + "-gantry")
                .contains(":5000")
                .contains("/etc/containerd/certs.d/docker.io/hosts.toml")
                .contains("server = \"https://registry-1.docker.io\"")
                .contains("[host.\"http://${GANTRY}\"]")
                .contains("capabilities = [\"pull\", \"resolve\"]")
                .contains("\"registry-mirrors\": [\"http://${GANTRY}\"]")
                .contains("\"insecure-registries\": [\"${GANTRY}\"]");

        String replicas = notes("s3-replicas-values.yaml");
        assertThat(replicas).contains("/etc/containerd/certs.d/ghcr.io/hosts.toml").contains("server = \"https://ghcr.io\"");

        String tls = notes("tls-values.yaml", "service.port=5443");
        assertThat(tls).contains("[host.\"https://${GANTRY}\"]")
                .contains("\"registry-mirrors\": [\"https://${GANTRY}\"]")
                .contains("jsonpath='{.spec.ports[0].nodePort}'")
                .doesNotContain("insecure-registries");
        assertThat(notes("default-values.yaml", "service.port=5443")).contains("'{.spec.clusterIP}'):5443");
    }

    // ---- values that must not deploy ---------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"replicaCont=2", "config.cache.tagTTL=5m", "config.storage.s3.bukcet=gantry", "persistence.mod=claim",
        "secrets.tls.existingSecrets=gantry-tls"})
    void aMisspeltValuesKeyFailsLintAndInstall(String misspelt) {
        String key = misspelt.substring(misspelt.lastIndexOf('.') + 1, misspelt.indexOf('='));
        Tools.Result lint = helm("lint", "--strict", CHART.toString(), "--set", misspelt);
        assertThat(lint.exit()).as(lint.stdout()).isNotZero();
        assertThat(lint.stdout() + lint.stderr()).contains("Additional property " + key + " is not allowed");
        // helm install validates the same schema before anything reaches the cluster; helm template runs that code.
        Tools.Result template = helm("template", RELEASE, CHART.toString(), "--set", misspelt);
        assertThat(template.exit()).isNotZero();
        assertThat(template.stderr()).contains(key);
    }

    @Test
    void severalReplicasWithoutS3AreRefused() {
        Tools.Result three = helm("template", RELEASE, CHART.toString(), "--set", "replicaCount=3");
        assertThat(three.exit()).isNotZero();
        assertThat(three.stderr()).contains("3 replicas need a shared S3 bucket: set config.storage.s3.bucket");

        Tools.Result scaled = helm("template", RELEASE, CHART.toString(), "--set", "autoscaling.enabled=true");
        assertThat(scaled.exit()).isNotZero();
        assertThat(scaled.stderr()).contains("6 replicas need a shared S3 bucket");
        // helm lint only reports a template's fail as [INFO] (Helm's lint mode); template and install stop on it.
    }

    @Test
    void aCredentialInClearIsRefused() {
        String clear = "config.upstreams[0].password=hunter2";
        String name = "--set=config.upstreams[0].name=docker.io";
        String url = "--set=config.upstreams[0].url=https://registry-1.docker.io";
        String user = "--set=config.upstreams[0].username=${DOCKERHUB_USER}";
        Tools.Result schema = helm("template", RELEASE, CHART.toString(), name, url, user, "--set", clear);
        assertThat(schema.exit()).isNotZero();
        assertThat(schema.stderr()).contains("config.upstreams.0.password: Does not match pattern");
        // Without the schema (--skip-schema-validation) the template itself still refuses.
        Tools.Result template = helm("template", RELEASE, CHART.toString(), "--skip-schema-validation", name, url, user, "--set", clear);
        assertThat(template.exit()).isNotZero();
        assertThat(template.stderr()).contains("config.upstreams[0].password must not hold a credential in clear");
    }

    // ---- helpers ------------------------------------------------------------------------------

    static String ci(String values) {
        return CHART.resolve("ci").resolve(values).toString();
    }

    static Tools.Result helm(String... args) {
        List<String> command = new ArrayList<>();
        command.add(helm.toString());
        command.addAll(List.of(args));
        // Private helm directories: no repository or plugin configuration of this machine leaks in.
        return Tools.run(command, Map.of("HELM_CONFIG_HOME", tmp.resolve("helm-config").toString(),
                "HELM_CACHE_HOME", tmp.resolve("helm-cache").toString(), "HELM_DATA_HOME", tmp.resolve("helm-data").toString()),
                Duration.ofSeconds(60));
    }

    static Rendered render(String values, String... sets) {
        List<String> args = new ArrayList<>(List.of("template", RELEASE, CHART.toString(), "--namespace", NAMESPACE, "-f", ci(values)));
        for (String set : sets) {
            args.addAll(List.of("--set", set));
        }
        Tools.Result out = helm(args.toArray(String[]::new));
        assertThat(out.exit()).as("helm " + String.join(" ", args) + "\n" + out.stderr()).isZero();
        try {
            List<JsonNode> objects = new ArrayList<>();
            for (JsonNode doc : YAML.readerFor(JsonNode.class).<JsonNode>readValues(out.stdout()).readAll()) {
                if (doc != null && doc.isObject()) {
                    objects.add(doc);
                }
            }
            return new Rendered(objects);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * NOTES.txt as helm install prints it. helm 3.17's {@code install --dry-run=client} still dials a
     * cluster (helm/helm#13144), so a copy of the chart renders the real NOTES.txt through {@code tpl}.
     */
    static String notes(String values, String... sets) throws IOException {
        Path copy = tmp.resolve("notes-chart-" + System.nanoTime()).resolve("gantry");
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = copy.resolve(CHART.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        Files.copy(CHART.resolve("templates/NOTES.txt"), copy.resolve("notes-under-test.txt"));
        Files.writeString(copy.resolve("templates/zz-notes-under-test.yaml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: notes-under-test
                data:
                  notes: |
                    {{- tpl (.Files.Get "notes-under-test.txt") . | nindent 4 }}
                """);
        List<String> args = new ArrayList<>(List.of("template", RELEASE, copy.toString(), "--namespace", NAMESPACE,
                "-f", copy.resolve("ci").resolve(values).toString(), "--show-only", "templates/zz-notes-under-test.yaml"));
        for (String set : sets) {
            args.addAll(List.of("--set", set));
        }
        Tools.Result out = helm(args.toArray(String[]::new));
        assertThat(out.exit()).as(out.stderr()).isZero();
        return YAML.readTree(out.stdout()).path("data").path("notes").asText();
    }

    /** {@code gantry config validate FILE} in a process whose environment is exactly {@code env}. */
    static Tools.Result validate(Path file, Map<String, String> env) {
        String jar = System.getProperty("gantry.jar");
        assertThat(jar).as("system property gantry.jar (set by the pom for failsafe)").isNotNull();
        assertThat(Path.of(jar)).exists();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try {
            // The files the rendered configuration names (Secrets, certificates) exist only in the pod.
            ProcessBuilder pb = new ProcessBuilder(javaBin, "-jar", jar, "config", "validate", "--syntax-only", file.toString());
            pb.environment().clear();
            pb.environment().putAll(env);
            Path out = Files.createTempFile(tmp, "validate", ".out");
            Path err = Files.createTempFile(tmp, "validate", ".err");
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("gantry config validate did not finish within 60 s");
            }
            return new Tools.Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The container's environment with a made-up value wherever the cluster would supply one. */
    static Map<String, String> podEnvironment(JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : container.path("env")) {
            String name = e.path("name").asText();
            env.put(name, e.has("value") ? e.path("value").asText() : "fake-" + name.toLowerCase(Locale.ROOT));
        }
        return env;
    }

    /** Credential-bearing values of a gantry.yaml. */
    static List<JsonNode> credentialsIn(JsonNode config) {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode u : config.path("upstreams")) {
            Stream.of("username", "password").filter(u::has).forEach(k -> found.add(u.get(k)));
        }
        JsonNode s3 = config.path("storage").path("s3");
        Stream.of("accessKeyId", "secretAccessKey").filter(s3::has).forEach(k -> found.add(s3.get(k)));
        return found;
    }

    static String secretRef(JsonNode container, String envName) {
        for (JsonNode e : container.path("env")) {
            if (envName.equals(e.path("name").asText())) {
                JsonNode ref = e.path("valueFrom").path("secretKeyRef");
                return ref.path("name").asText() + "/" + ref.path("key").asText();
            }
        }
        throw new AssertionError("no env " + envName);
    }

    static String volumeNamed(Rendered r, Predicate<JsonNode> which) {
        for (JsonNode v : r.pod().path("volumes")) {
            if (which.test(v)) {
                return v.path("name").asText();
            }
        }
        throw new AssertionError("no such volume in " + r.pod().path("volumes"));
    }

    static JsonNode mountOf(JsonNode container, String volume) {
        for (JsonNode m : container.path("volumeMounts")) {
            if (volume.equals(m.path("name").asText())) {
                return m;
            }
        }
        throw new AssertionError("volume " + volume + " is not mounted: " + container.path("volumeMounts"));
    }

    static JsonNode mountAt(JsonNode container, String path) {
        for (JsonNode m : container.path("volumeMounts")) {
            if (path.equals(m.path("mountPath").asText())) {
                return m;
            }
        }
        throw new AssertionError("nothing is mounted at " + path + ": " + container.path("volumeMounts"));
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static boolean selects(JsonNode matchLabels, JsonNode labels) {
        Set<String> missing = new TreeSet<>();
        for (Map.Entry<String, JsonNode> f : matchLabels.properties()) {
            if (!f.getValue().asText().equals(labels.path(f.getKey()).asText(null))) {
                missing.add(f.getKey());
            }
        }
        return !matchLabels.isEmpty() && missing.isEmpty();
    }

    static void assertSelects(JsonNode matchLabels, JsonNode labels) {
        assertThat(selects(matchLabels, labels)).as(matchLabels + " selects " + labels).isTrue();
    }

    /** The objects of one {@code helm template}. */
    record Rendered(List<JsonNode> objects) {

        List<JsonNode> all(String kind) {
            return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
        }

        JsonNode one(String kind) {
            List<JsonNode> found = all(kind);
            assertThat(found).as("rendered " + kind).hasSize(1);
            return found.get(0);
        }

        /** The Deployment or the StatefulSet: exactly one of them. */
        JsonNode workload() {
            List<JsonNode> found = new ArrayList<>(all("Deployment"));
            found.addAll(all("StatefulSet"));
            assertThat(found).as("Deployments and StatefulSets").hasSize(1);
            return found.get(0);
        }

        /** The Service clients use (not the StatefulSet's headless one). */
        JsonNode service() {
            List<JsonNode> found = all("Service").stream().filter(s -> !"None".equals(s.path("spec").path("clusterIP").asText())).toList();
            assertThat(found).hasSize(1);
            return found.get(0);
        }

        JsonNode pod() {
            return workload().path("spec").path("template").path("spec");
        }

        JsonNode podLabels() {
            return workload().path("spec").path("template").path("metadata").path("labels");
        }

        String podAnnotation(String key) {
            return workload().path("spec").path("template").path("metadata").path("annotations").path(key).asText();
        }

        JsonNode container() {
            JsonNode containers = pod().path("containers");
            assertThat(containers.size()).isEqualTo(1);
            return containers.get(0);
        }

        JsonNode volume(String name) {
            for (JsonNode v : pod().path("volumes")) {
                if (name.equals(v.path("name").asText())) {
                    return v;
                }
            }
            throw new AssertionError("no volume " + name);
        }

        int containerPort() {
            for (JsonNode p : container().path("ports")) {
                if ("registry".equals(p.path("name").asText())) {
                    return p.path("containerPort").asInt();
                }
            }
            throw new AssertionError("no port named registry");
        }

        String gantryYaml() {
            // The server's ConfigMap: the only one, unless the optional dashboard's is rendered beside it.
            List<JsonNode> maps = all("ConfigMap").stream().filter(m -> m.path("data").has("gantry.yaml")).toList();
            assertThat(maps).as("ConfigMaps with gantry.yaml").hasSize(1);
            String text = maps.get(0).path("data").path("gantry.yaml").asText(null);
            assertThat(text).as("ConfigMap data gantry.yaml").isNotNull();
            return text;
        }

        JsonNode config() {
            try {
                return YAML.readTree(gantryYaml());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
