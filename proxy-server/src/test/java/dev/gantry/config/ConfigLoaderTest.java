package dev.gantry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

    private final ConfigLoader loader = new ConfigLoader(Map.of("HUB_USER", "bob", "HUB_TOKEN", "s3cret")::get);

    private GantryConfig load(String yaml) {
        return loader.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml");
    }

    @Test
    void anEmptyFileIsAWorkingConfiguration() {
        GantryConfig c = load("");
        assertThat(c.listen()).isEqualTo("127.0.0.1:5000");
        assertThat(c.cache().tagTtl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.storage().disk().path()).isEqualTo("./data");
        assertThat(c.storage().disk().maxBytes().bytes()).isEqualTo(20L << 30);
    }

    @Test
    void theShippedDefaultsAreTheEmbeddedDefaults() {
        GantryConfig shipped = loader.load(Path.of("..", "conf", "gantry.yaml"));
        GantryConfig embedded = loader.loadEmbedded();
        assertThat(embedded).isEqualTo(shipped);
        assertThat(embedded.upstreams()).singleElement().satisfies(u -> {
            assertThat(u.name()).isEqualTo("docker.io");
            assertThat(u.url()).isEqualTo("https://registry-1.docker.io");
            assertThat(u.isDefault()).isTrue();
            assertThat(u.library()).isTrue();
        });
    }

    @Test
    void readsTheIssueExample() {
        GantryConfig c = load("""
                listen: 127.0.0.1:5000
                upstreams:
                  - name: docker.io
                    url: https://registry-1.docker.io
                    default: true
                cache:
                  tagTtl: 60s
                storage:
                  disk:
                    path: ./data
                    maxBytes: 20GiB
                """);
        assertThat(c.listenPort()).isEqualTo(5000);
        assertThat(c.listenHost()).isEqualTo("127.0.0.1");
        assertThat(c.upstreams().get(0).readTimeout()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void cacheSizesDefaultToTheirFormerFixedValuesAndAreRead() {
        CacheConfig.Entries defaults = load("").cache().entries();
        assertThat(defaults.hardwareRecords()).isEqualTo(20_000);
        assertThat(defaults.hardwareAsked()).isEqualTo(100_000);
        assertThat(defaults.scanFollowed()).isEqualTo(100_000);
        assertThat(defaults.scanPending()).isEqualTo(10_000);
        assertThat(defaults.failedLogins()).isEqualTo(100_000);
        assertThat(defaults.promotions()).isEqualTo(100_000);
        assertThat(defaults.artifactLinks()).isEqualTo(100_000);
        assertThat(defaults.s3Sizes()).isEqualTo(200_000);
        assertThat(defaults.s3Touched()).isEqualTo(200_000);

        CacheConfig.Entries set = load("""
                cache:
                  entries:
                    hardwareRecords: 7
                    hardwareAsked: 8
                    scanFollowed: 9
                    scanPending: 10
                    failedLogins: 11
                    promotions: 12
                    artifactLinks: 13
                    s3Sizes: 14
                    s3Touched: 15
                """).cache().entries();
        assertThat(set.hardwareRecords()).isEqualTo(7);
        assertThat(set.hardwareAsked()).isEqualTo(8);
        assertThat(set.scanFollowed()).isEqualTo(9);
        assertThat(set.scanPending()).isEqualTo(10);
        assertThat(set.failedLogins()).isEqualTo(11);
        assertThat(set.promotions()).isEqualTo(12);
        assertThat(set.artifactLinks()).isEqualTo(13);
        assertThat(set.s3Sizes()).isEqualTo(14);
        assertThat(set.s3Touched()).isEqualTo(15);
    }

    @Test
    void tlsWrittenAsABareWordIsReadAsMeant() {
        // YAML 1.1 reads a bare off as false; the README writes tls: off.
        assertThat(load("tls: off\n").tls().enabled()).isFalse();
        assertThat(load("tls: auto\n").tls().auto()).isTrue();
        assertThatThrownBy(() -> load("tls: on\n")).isInstanceOf(ConfigException.class).hasMessageContaining("'tls'");
        assertThatThrownBy(() -> load("tls: automatic\n")).isInstanceOf(ConfigException.class).hasMessageContaining("auto");
    }

    @Test
    void anUnknownKeyIsNamedWithItsPath() {
        assertThatThrownBy(() -> load("upstreams:\n  - name: docker.io\n    urll: https://x\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key 'upstreams[0].urll'")
                .hasMessageContaining("url");
        assertThatThrownBy(() -> load("cache:\n  tagTTL: 5s\n")).hasMessageContaining("unknown key 'cache.tagTTL'");
        assertThatThrownBy(() -> load("storag: {}\n")).hasMessageContaining("unknown key 'storag'");
    }

    @Test
    void aWrongValueIsNamedWithWhatWasExpected() {
        assertThatThrownBy(() -> load("cache:\n  tagTtl: soon\n"))
                .hasMessageContaining("key 'cache.tagTtl'").hasMessageContaining("expected a duration");
        assertThatThrownBy(() -> load("storage:\n  disk:\n    maxBytes: lots\n"))
                .hasMessageContaining("key 'storage.disk.maxBytes'").hasMessageContaining("expected a size");
        assertThatThrownBy(() -> load("listen: nowhere\n")).hasMessageContaining("key 'listen'");
        assertThatThrownBy(() -> load("upstreams:\n  - name: docker.io\n    url: ftp://x\n"))
                .hasMessageContaining("key 'upstreams[0].url'");
        assertThatThrownBy(() -> load("upstreams:\n  - name: Docker.IO\n    url: https://x\n"))
                .hasMessageContaining("key 'upstreams[0].name'");
        assertThatThrownBy(() -> load("upstreams:\n  - {name: a.io, url: 'https://a', default: true}\n  - {name: b.io, url: 'https://b', default: true}\n"))
                .hasMessageContaining("more than one upstream has default: true");
        assertThatThrownBy(() -> load("upstreams:\n  - {name: a.io, url: 'https://a'}\n  - {name: a.io, url: 'https://b'}\n"))
                .hasMessageContaining("listed twice");
        assertThatThrownBy(() -> load("server:\n  ioThreads: many\n")).hasMessageContaining("key 'server.ioThreads'");
        assertThatThrownBy(() -> load("server:\n  headerTimeout: 0s\n")).hasMessageContaining("key 'server.headerTimeout'")
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> load("prefetch:\n  diskReserve: lots\n")).hasMessageContaining("key 'prefetch.diskReserve'");
    }

    @Test
    void environmentReferencesAreExpandedAndMissingOnesNamed() {
        GantryConfig c = load("upstreams:\n  - name: docker.io\n    url: https://registry-1.docker.io\n"
                + "    username: ${HUB_USER}\n    password: ${HUB_TOKEN}\n");
        assertThat(c.upstreams().get(0).username()).isEqualTo("bob");
        assertThat(c.upstreams().get(0).password()).isEqualTo("s3cret");
        assertThat(load("listen: ${NOPE:-127.0.0.1:7000}\n").listenPort()).isEqualTo(7000);
        assertThatThrownBy(() -> load("upstreams:\n  - name: docker.io\n    url: https://x\n    password: ${MISSING}\n"))
                .hasMessageContaining("key 'upstreams[0].password' refers to ${MISSING}, which is not set");
    }

    /** gantry scan builds its configuration from what the user typed: a password holding "${" is a password. */
    @Test
    void aLiteralLoaderTakesDollarBracesAsWritten() {
        GantryConfig c = ConfigLoader.literal().load(new ByteArrayInputStream(("upstreams:\n  - name: docker.io\n"
                + "    url: https://x\n    username: bot\n    password: p${x}w\n").getBytes(StandardCharsets.UTF_8)), "scan");
        assertThat(c.upstreams().get(0).password()).isEqualTo("p${x}w");
    }

    @Test
    void credentialsNeverAppearInTextOrErrors() {
        GantryConfig c = load("upstreams:\n  - name: docker.io\n    url: https://registry-1.docker.io\n"
                + "    username: bob\n    password: ${HUB_TOKEN}\n");
        assertThat(c.toString()).doesNotContain("s3cret");
        assertThat(c.upstreams().get(0).toString()).contains("password=(set)").doesNotContain("s3cret");
        assertThatThrownBy(() -> load("upstreams:\n  - name: docker.io\n    url: https://bob:hunter2@registry\n"))
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void readsTheStorageTiersExample() {
        GantryConfig c = load("""
                storage:
                  memory: {maxBytes: 512MiB, maxBlobBytes: 4MiB}
                  disk:   {path: ./data, maxBytes: 20GiB}
                  s3:
                    endpoint: http://127.0.0.1:9000   # omit for AWS
                    region: us-east-1
                    bucket: gantry
                    prefix: ""
                    pathStyle: true
                    retention: 30d
                """);
        assertThat(c.storage().memory().maxBytes().bytes()).isEqualTo(512L << 20);
        assertThat(c.storage().memory().maxBlobBytes().bytes()).isEqualTo(4L << 20);
        S3Config s3 = c.storage().s3();
        assertThat(s3.enabled()).isTrue();
        assertThat(s3.endpoint()).isEqualTo("http://127.0.0.1:9000");
        assertThat(s3.pathStyle()).isTrue();
        assertThat(s3.retention()).isEqualTo(Duration.ofDays(30));
        assertThat(s3.accessKeyId()).as("default credential chain").isNull();
        assertThat(load("").storage().s3().enabled()).as("no bucket, no S3 tier").isFalse();
    }

    @Test
    void wrongStorageSettingsAreNamed() {
        assertThatThrownBy(() -> load("storage:\n  s3:\n    endpoint: http://x:9000\n"))
                .hasMessageContaining("'storage.s3.bucket' is required");
        assertThatThrownBy(() -> load("storage:\n  s3:\n    bucket: b\n    prefix: ../up\n"))
                .hasMessageContaining("storage.s3.prefix");
        assertThatThrownBy(() -> load("storage:\n  s3:\n    bucket: b\n    accessKeyId: AKIA\n"))
                .hasMessageContaining("go together");
        assertThatThrownBy(() -> load("storage:\n  s3:\n    bucket: b\n    retention: forever\n"))
                .hasMessageContaining("key 'storage.s3.retention'");
        assertThatThrownBy(() -> load("storage:\n  memory:\n    maxBlob: 1MiB\n"))
                .hasMessageContaining("unknown key 'storage.memory.maxBlob'");
        GantryConfig c = load("storage:\n  s3:\n    bucket: b\n    accessKeyId: AKIA\n    secretAccessKey: ${HUB_TOKEN}\n");
        assertThat(c.storage().s3().toString()).doesNotContain("s3cret").doesNotContain("AKIA");
    }

    @Test
    void prefetchModeOffMayBeWrittenBareAsTheDocumentationWritesIt() {
        // YAML 1.1 reads a bare `off` as the boolean false.
        assertThat(load("prefetch:\n  mode: off\n").prefetch().mode()).isEqualTo(PrefetchConfig.Mode.OFF);
        assertThat(load("prefetch:\n  mode: \"off\"\n").prefetch().mode()).isEqualTo(PrefetchConfig.Mode.OFF);
        assertThat(load("prefetch:\n  mode: always\n").prefetch().mode()).isEqualTo(PrefetchConfig.Mode.ALWAYS);
        assertThat(load("prefetch:\n  mode: recent\n").prefetch().mode()).isEqualTo(PrefetchConfig.Mode.RECENT);
        assertThatThrownBy(() -> load("prefetch:\n  mode: on\n")).hasMessageContaining("key 'prefetch.mode'");
        assertThatThrownBy(() -> load("prefetch:\n  mode: sometimes\n"))
                .hasMessageContaining("key 'prefetch.mode'").hasMessageContaining("off, recent or always");
    }

    @Test
    void theScanMemoryBudgetAndTimeLimitAreReadAndCheckedWithTheirKeys() {
        GantryConfig c = load("hardware: {scanMemory: 32MiB, scanTimeLimit: 30s}\n");
        assertThat(c.hardware().scanMemory().bytes()).isEqualTo(32L << 20);
        assertThat(c.hardware().scanTimeLimit()).isEqualTo(Duration.ofSeconds(30));
        assertThat(load("").hardware().scanMemory().bytes()).isEqualTo(64L << 20);
        assertThatThrownBy(() -> load("hardware: {scanMemory: 1MiB}\n")).hasMessageContaining("key 'hardware.scanMemory'");
        assertThatThrownBy(() -> load("hardware: {scanTimeLimit: 0s}\n")).hasMessageContaining("key 'hardware.scanTimeLimit'");
    }

    @Test
    void sizesAndDurationsReadTheWayOperatorsWriteThem() {
        assertThat(ByteSize.parse("512MiB").bytes()).isEqualTo(512L << 20);
        assertThat(ByteSize.parse("4MB").bytes()).isEqualTo(4_000_000L);
        assertThat(ByteSize.parse("1g").bytes()).isEqualTo(1L << 30);
        assertThat(ByteSize.parse("1048576").bytes()).isEqualTo(1L << 20);
        assertThat(ByteSize.parse("20GiB").toString()).isEqualTo("20GiB");
        assertThat(Durations.parse("30d")).isEqualTo(Duration.ofDays(30));
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
    }

    @Test
    void everyProblemOfAFileIsReportedAtOnceEachWithItsKey() {
        assertThatThrownBy(() -> load("""
                listen: 127.0.0.1:5000
                upstreams:
                  - name: docker.io
                    url: https://registry-1.docker.io
                    urll: x
                    retries: 99
                prefetch:
                  bogus: 1
                  nested: {deeper: true}
                """))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "test.yaml: unknown key 'upstreams[0].urll'; expected one of [connectTimeout, default, library, "
                                + "maxConnections, name, password, private, readTimeout, retries, url, username]",
                        "test.yaml: unknown key 'prefetch.bogus'; expected one of [diskReserve, maxConcurrent, maxConcurrentPerUpstream, "
                                + "minRateLimitRemaining, mode, platforms, recentWithin]",
                        "test.yaml: unknown key 'prefetch.nested'; expected one of [diskReserve, maxConcurrent, maxConcurrentPerUpstream, "
                                + "minRateLimitRemaining, mode, platforms, recentWithin]",
                        "test.yaml: key 'upstreams[0].retries': expected 0 to 10, got 99"))
                .satisfies(e -> assertThat(((ConfigException) e).parsed()).as("the rest can still be checked").isPresent());
    }

    @Test
    void aYamlSyntaxErrorNamesItsLineAndColumn() {
        assertThatThrownBy(() -> load("listen: 127.0.0.1:5000\nupstreams: [\n  a: b: c\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("test.yaml:3:7: not valid YAML: while parsing a flow sequence; expected ',' or ']', but got :");
    }

    @Test
    void pinsAndTheAdminActionAreRead() {
        GantryConfig c = load("""
                cache:
                  pins:
                    images: [library/nginx:1.25, ghcr.io/acme/app:stable]
                    revalidate: 30m
                auth:
                  loopbackAdmin: true
                  rules:
                    - {prefix: "", users: [ops], actions: [admin]}
                """);
        assertThat(c.cache().pins().images()).containsExactly("library/nginx:1.25", "ghcr.io/acme/app:stable");
        assertThat(c.cache().pins().revalidate()).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.auth().loopbackAdmin()).isTrue();
        assertThat(load("").cache().pins().revalidate()).isEqualTo(Duration.ofHours(1));
        assertThat(load("").auth().loopbackAdmin()).isFalse();
    }

    @Test
    void aPinWithoutATagIsRefusedWithItsKey() {
        assertThatThrownBy(() -> load("cache:\n  pins:\n    images: [library/nginx]\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cache.pins.images[0]");
        assertThatThrownBy(() -> load("cache:\n  pins:\n    images: [\"Bad Name:1\"]\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cache.pins.images[0]");
        assertThatThrownBy(() -> load("auth:\n  rules:\n    - {prefix: a/, users: [x], actions: [own]}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("pull, push, delete or admin");
    }

    @Test
    void fleetDefaultsMakeAFleetOfOneThatPollsSlowlyWhereThePeerChannelCarriesTheNews() {
        FleetConfig f = load("").fleet();
        assertThat(f.id()).isNull();
        assertThat(f.members()).isEmpty();
        assertThat(f.heartbeat()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(f.memberTtl()).isEqualTo(java.time.Duration.ofSeconds(15));
        assertThat(f.poll()).as("configured poll").isNull();
        assertThat(f.poll(true)).as("poll with a peer channel").isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(f.poll(false)).as("poll with the bucket only").isEqualTo(java.time.Duration.ofMillis(500));
        FleetConfig set = load("fleet:\n  poll: 2s\n").fleet();
        assertThat(set.poll(true)).as("a configured poll, with a peer channel").isEqualTo(java.time.Duration.ofSeconds(2));
        assertThat(set.poll(false)).as("a configured poll, bucket only").isEqualTo(java.time.Duration.ofSeconds(2));
    }

    @Test
    void anAccessRuleWhosePrefixCanMatchNoRepositoryIsRefused() {
        String base = "upstreams:\n  - name: docker.io\n    url: https://registry-1.docker.io\n    default: true\n"
                + "hosted:\n  - prefix: local/\n";
        assertThatThrownBy(() -> load(base + "auth:\n  rules:\n    - {prefix: \"library/alpine\", users: [a], actions: [pull]}\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'auth.rules[0].prefix': 'library/alpine' matches no repository");
        assertThatThrownBy(() -> load(base + "auth:\n  rules:\n    - {prefix: \"Docker.io/team/\", users: [a], actions: [pull]}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("lowercase");
        for (String ok : new String[] {"", "docker.io/", "docker.io/library/app-1", "local/team/", "loc", "docker"}) {
            load(base + "auth:\n  rules:\n    - {prefix: \"" + ok + "\", users: [a], actions: [pull]}\n");
        }
    }

    @Test
    void aWrongFleetSettingIsNamedWithWhatWasExpected() {
        assertThatThrownBy(() -> load("fleet:\n  members: [gantry-1, \"gantry_2:5000\"]\n  memberTtl: 1s\n  id: a/b\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'fleet.members': expected host:port, got 'gantry-1'")
                .hasMessageContaining("'fleet.members': expected host:port, got 'gantry_2:5000'")
                .hasMessageContaining("'fleet.memberTtl': expected at least twice fleet.heartbeat")
                .hasMessageContaining("'fleet.id'");
    }
}
