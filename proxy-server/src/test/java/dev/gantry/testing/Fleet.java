package dev.gantry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.auth.TokenKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Several Gantry replicas on one S3Proxy bucket, as README's "Several
 * replicas on one bucket" has an operator run them, optionally behind nginx
 * round robin ({@link NginxBalancer}). Every replica gets the same
 * configuration but for its name: its disk tier under {@code DIR/NAME/data}
 * and, with {@link Builder#fleetIds()}, {@code fleet.id: NAME}. The fleet
 * owns the bucket's server, the replicas and the balancer, and closes them
 * (balancer, replicas, bucket); the upstream, if any, is the test's.
 *
 * <pre>{@code
 * Fleet<GantryProcess> fleet = Fleet.ofProcesses(tmp).upstream(hub.url()).sharedTokenKey().fleetIds()
 *         .balanced().start("r0", "r1", "r2");
 * }</pre>
 *
 * @param <R> the kind of replica: in-process or its own process
 */
public final class Fleet<R extends Replica> implements AutoCloseable {

    /** The bucket every replica shares. */
    public static final String BUCKET = "gantry";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Builder<R> spec;
    private final S3ProxyServer s3;
    private final List<R> replicas = new ArrayList<>();
    private NginxBalancer balancer;
    /** nginx between the replicas and the bucket's server, logging each S3 request; only with {@link Builder#s3Logged()}. */
    private NginxBalancer s3Front;

    private Fleet(Builder<R> spec, S3ProxyServer s3) {
        this.spec = spec;
        this.s3 = s3;
    }

    /** Replicas started in this JVM ({@link GantryServer}, on the system clock), under {@code dir}. */
    public static Builder<GantryServer> inProcess(Path dir) {
        return new Builder<>(dir, (replicaDir, yaml) -> GantryServer.start(yaml, replicaDir, Clock.systemUTC()));
    }

    /** Replicas each in its own JVM ({@link GantryProcess}: killable, restartable), under {@code dir}. */
    public static Builder<GantryProcess> ofProcesses(Path dir) {
        return new Builder<>(dir, GantryProcess::start);
    }

    /** The replicas started so far, in the order they started. */
    public List<R> replicas() {
        return List.copyOf(replicas);
    }

    public R replica(int index) {
        return replicas.get(index);
    }

    /** Starts one more replica named {@code name} on the bucket; closed with the fleet. */
    public R add(String name) {
        R replica = spec.starter.apply(spec.dir.resolve(name), config(name));
        replicas.add(replica);
        return replica;
    }

    /**
     * The configuration of a replica named {@code name} (without {@code listen}),
     * for a test that starts one itself, on a clock of its own, say.
     */
    public String config(String name) {
        return spec.config(name, s3, s3Front);
    }

    /**
     * The same configuration without {@code storage.s3}: the replica as it ran
     * on its local disk alone, before the operator turned the bucket on.
     */
    public String localConfig(String name) {
        return spec.config(name, null, null);
    }

    /** The S3 API server that holds the bucket (to stop it, restart it, or read the bucket). */
    public S3ProxyServer s3() {
        return s3;
    }

    /**
     * The S3 requests the replicas sent so far, {@code METHOD /bucket/key status}
     * each (query strings dropped); only with {@link Builder#s3Logged()}.
     */
    public List<String> s3Requests() {
        if (s3Front == null) {
            throw new IllegalStateException("this fleet's S3 requests are not logged: build it with s3Logged()");
        }
        return s3Front.accessLog().stream().map(l -> l.substring(0, l.lastIndexOf(' '))).toList();
    }

    /** The keys in the bucket under {@code prefix} (the whole key, the replicas' prefix included). */
    public List<String> keys(String prefix) {
        try (S3AsyncClient c = s3.client()) {
            return c.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix)).join().contents().stream().map(S3Object::key).toList();
        }
    }

    /**
     * Whether {@code replica} has no fill in flight and no upload to the bucket
     * pending, by its status page: what it fetched is in the bucket for the others.
     */
    public static boolean settled(Replica replica) {
        try {
            JsonNode status = JSON.readTree(new Http(replica.url()).get("/v2/_gantry/status").body());
            return status.path("fillsInFlight").asInt(-1) == 0
                    && status.path("tiers").path("s3").path("pendingUploads").asInt(-1) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The ids of the members {@code replica}'s status page lists (none while it does not answer). */
    public static Set<String> memberIds(Replica replica) {
        Set<String> ids = new TreeSet<>();
        try {
            JsonNode status = JSON.readTree(new Http(replica.url()).get("/v2/_gantry/status").body());
            status.path("fleet").path("members").forEach(m -> ids.add(m.path("id").asText()));
        } catch (IOException | UncheckedIOException e) {
            // Not answering yet.
        }
        return ids;
    }

    /** nginx in front of the replicas the fleet started with; only with {@link Builder#balanced()}. */
    public NginxBalancer balancer() {
        if (balancer == null) {
            throw new IllegalStateException("this fleet has no balancer: build it with balanced()");
        }
        return balancer;
    }

    @Override
    public void close() {
        if (balancer != null) {
            balancer.close();
        }
        replicas.forEach(Replica::close);
        if (s3Front != null) {
            s3Front.close();
        }
        s3.close();
    }

    /**
     * What every replica of a fleet is configured with. Each setting adds to
     * the configuration; the disk tier and the bucket are always there.
     */
    public static final class Builder<R extends Replica> {

        private final Path dir;
        private final BiFunction<Path, String, R> starter;
        private String upstream;
        private String hosted;
        private Map<String, String> users;
        private List<String> admins = List.of();
        private boolean sharedTokenKey;
        private String prefix = "";
        private String diskMaxBytes;
        private boolean fleetIds;
        private String more = "";
        private boolean balanced;
        private boolean s3Logged;

        private Builder(Path dir, BiFunction<Path, String, R> starter) {
            this.dir = Objects.requireNonNull(dir, "dir");
            this.starter = starter;
        }

        /** Mirrors the registry at {@code url} as {@code docker.io}, the default upstream. */
        public Builder<R> upstream(String url) {
            this.upstream = url;
            return this;
        }

        /** Hosts repositories under {@code prefix} (pushes go there). */
        public Builder<R> hosted(String prefix) {
            this.hosted = prefix;
            return this;
        }

        /** {@code auth.htpasswd}: one file of these users and passwords, shared by every replica. */
        public Builder<R> users(Map<String, String> users) {
            this.users = Map.copyOf(users);
            return this;
        }

        /** {@code auth.rules}: these users (of {@link #users}) hold {@code admin} on every repository. */
        public Builder<R> admins(String... users) {
            this.admins = List.of(users);
            return this;
        }

        /** {@code auth.tokenKeys}: one token signing key for the fleet (also the peer channel's secret). */
        public Builder<R> sharedTokenKey() {
            this.sharedTokenKey = true;
            return this;
        }

        /** The replicas' prefix in the bucket ({@code storage.s3.prefix}); none by default. */
        public Builder<R> bucketPrefix(String prefix) {
            this.prefix = prefix;
            return this;
        }

        /** {@code storage.disk.maxBytes} of each replica, e.g. {@code 64MiB}. */
        public Builder<R> diskMaxBytes(String size) {
            this.diskMaxBytes = size;
            return this;
        }

        /** Each replica's {@code fleet.id} is its name. */
        public Builder<R> fleetIds() {
            this.fleetIds = true;
            return this;
        }

        /** More top-level configuration, the same for every replica, e.g. {@code "prefetch:\n  mode: \"off\"\n"}. */
        public Builder<R> config(String yaml) {
            this.more += yaml;
            return this;
        }

        /** The replicas reach the bucket through an nginx that logs every request ({@link Fleet#s3Requests()}). */
        public Builder<R> s3Logged() {
            this.s3Logged = true;
            return this;
        }

        /** nginx round robin, no affinity, in front of the replicas {@link #start} starts. */
        public Builder<R> balanced() {
            this.balanced = true;
            return this;
        }

        /**
         * Starts the bucket's server under {@code DIR/s3}, writes the shared
         * files, then starts replicas of these names one after the other (each
         * ready), then the balancer if asked for; on a failure, stops what it started.
         */
        public Fleet<R> start(String... names) {
            S3ProxyServer s3 = S3ProxyServer.start(dir.resolve("s3"));
            Fleet<R> fleet = new Fleet<>(this, s3);
            try {
                s3.createBucket(BUCKET);
                if (s3Logged) {
                    fleet.s3Front = NginxBalancer.start(dir.resolve("nginx-s3"), List.of(s3.endpoint().substring("http://".length())));
                }
                if (users != null) {
                    HtpasswdFile.write(htpasswd(), users);
                }
                if (sharedTokenKey) {
                    TokenKeys.generatedAt(tokenKey());
                }
                for (String name : names) {
                    fleet.add(name);
                }
                if (balanced) {
                    fleet.balancer = NginxBalancer.start(dir.resolve("nginx"), fleet.replicas.stream().map(Replica::hostPort).toList());
                }
                return fleet;
            } catch (IOException e) {
                fleet.close();
                throw new UncheckedIOException(e);
            } catch (RuntimeException | Error e) {
                fleet.close();
                throw e;
            }
        }

        private Path htpasswd() {
            return dir.resolve("htpasswd");
        }

        private Path tokenKey() {
            return dir.resolve("token-key.pem");
        }

        private String config(String name, S3ProxyServer s3, NginxBalancer s3Front) {
            StringBuilder yaml = new StringBuilder();
            if (upstream != null) {
                yaml.append("upstreams:\n  - name: docker.io\n    url: ").append(upstream).append("\n    default: true\n");
            }
            if (hosted != null) {
                yaml.append("hosted:\n  - prefix: ").append(hosted).append('\n');
            }
            if (users != null || sharedTokenKey) {
                yaml.append("auth:\n");
                if (users != null) {
                    yaml.append("  htpasswd: ").append(htpasswd()).append('\n');
                }
                if (!admins.isEmpty()) {
                    yaml.append("  rules:\n    - {prefix: \"\", users: [").append(String.join(", ", admins))
                            .append("], actions: [admin]}\n");
                }
                if (sharedTokenKey) {
                    yaml.append("  tokenKeys: [").append(tokenKey()).append("]\n");
                }
            }
            yaml.append("storage:\n  disk:\n    path: ").append(dir.resolve(name).resolve("data")).append('\n');
            if (diskMaxBytes != null) {
                yaml.append("    maxBytes: ").append(diskMaxBytes).append('\n');
            }
            if (s3 != null) {
                String bucket = s3.yaml(BUCKET, prefix);
                yaml.append(s3Front == null ? bucket : bucket.replace(s3.endpoint(), s3Front.url()));
            }
            if (fleetIds) {
                yaml.append("fleet:\n  id: ").append(name).append('\n');
            }
            return yaml.append(more).toString();
        }
    }
}
