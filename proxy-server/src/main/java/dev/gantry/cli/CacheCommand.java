package dev.gantry.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gantry cache ls|rm|pin|unpin|warm}: the admin API of a running
 * Gantry from a shell. Tables for people, {@code --json} for scripts (the
 * API's own JSON). Exit status 0, or 1 with the server's error on standard error.
 */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = "List, evict, pin and warm what a running Gantry caches (its admin API; needs the admin action).",
        subcommands = {CacheCommand.Ls.class, CacheCommand.Rm.class, CacheCommand.Pin.class, CacheCommand.Unpin.class,
                CacheCommand.Warm.class})
public final class CacheCommand implements Runnable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>;\\s*rel=\"next\"");

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Where Gantry is and who asks. */
    static final class Connection {
        @Option(names = "--url", paramLabel = "URL", defaultValue = "${GANTRY_REGISTRY:-http://127.0.0.1:5000}",
                description = "Gantry's URL (default: $GANTRY_REGISTRY or ${DEFAULT-VALUE}).")
        String url;

        @Option(names = "--user", paramLabel = "USER", defaultValue = "${GANTRY_USER}",
                description = "User to log in as (default: $GANTRY_USER); the password comes from $GANTRY_PASSWORD or standard input.")
        String user;

        @Option(names = "--ca", paramLabel = "PEM", description = "CA certificate(s) to trust for an https URL.")
        Path ca;

        @Option(names = "--json", description = "Print the API's JSON instead of a table.")
        boolean json;
    }

    /** One admin call: connection options, errors to standard error with exit status 1. */
    abstract static class Call implements Callable<Integer> {
        @Mixin
        Connection connection = new Connection();

        @Spec
        CommandLine.Model.CommandSpec spec;

        abstract void run(AdminClient client, PrintWriter out) throws IOException, InterruptedException, AdminClient.Failure;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try {
                String password = AdminClient.password(connection.user, System::getenv, System.console(), System.in);
                run(new AdminClient(connection.url, connection.user, password, connection.ca), out);
                out.flush();
                return 0;
            } catch (AdminClient.Failure | IOException | GeneralSecurityException | IllegalArgumentException e) {
                err.println("gantry cache " + spec.name() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                err.flush();
                return 1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }

        void printJson(PrintWriter out, Object node) throws IOException {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        }
    }

    /** A path segment of a name or image: its characters kept, anything else escaped. */
    static String path(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("%2F", "/").replace("%3A", ":").replace("%40", "@");
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List cached repositories, or one repository's tags and manifests.")
    static final class Ls extends Call {
        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "A repository, e.g. library/nginx.")
        String name;

        @Override
        void run(AdminClient client, PrintWriter out) throws IOException, InterruptedException, AdminClient.Failure {
            if (name != null) {
                JsonNode repo = client.get("/v2/_gantry/cache/repositories/" + path(name));
                if (connection.json) {
                    printJson(out, repo);
                    return;
                }
                out.println(repo.path("name").asText() + " (" + repo.path("kind").asText() + "): " + Table.bytes(repo.path("bytes").asLong())
                        + ", " + Table.bytes(repo.path("cachedBytes").asLong()) + " cached, last pull " + text(repo.path("lastPull")));
                Table tags = new Table("TAG", "DIGEST", "PINNED");
                repo.path("tags").forEach(t -> tags.row(t.path("tag").asText(), Table.shortDigest(t.path("digest").asText()),
                        t.path("pinned").asBoolean() ? "yes (" + t.path("pinSource").asText() + ")" : "no"));
                tags.print(out);
                out.println();
                Table manifests = new Table("MANIFEST", "PLATFORM", "BLOBS", "SIZE", "CACHED");
                repo.path("manifests").forEach(m -> manifests.row(Table.shortDigest(m.path("digest").asText()), text(m.path("platform")),
                        m.path("blobs").asInt(), Table.bytes(m.path("bytes").asLong()), Table.bytes(m.path("cachedBytes").asLong())));
                manifests.print(out);
                return;
            }
            var all = JSON.createArrayNode();
            String next = "/v2/_gantry/cache/repositories?n=500";
            while (next != null) {
                AdminClient.Answer page = client.send("GET", next, null);
                page.body().path("repositories").forEach(all::add);
                Matcher m = page.link() == null ? null : NEXT.matcher(page.link());
                next = m != null && m.find() ? m.group(1) : null;
            }
            if (connection.json) {
                printJson(out, Map.of("repositories", all));
                return;
            }
            Table t = new Table("REPOSITORY", "TAGS", "SIZE", "CACHED", "LAST PULL", "PINNED");
            all.forEach(r -> {
                StringBuilder tags = new StringBuilder();
                r.path("tags").forEach(tag -> tags.append(tags.length() == 0 ? "" : ",").append(tag.path("tag").asText())
                        .append(tag.path("pinned").asBoolean() ? "*" : ""));
                t.row(r.path("name").asText(), tags, Table.bytes(r.path("bytes").asLong()), Table.bytes(r.path("cachedBytes").asLong()),
                        text(r.path("lastPull")), r.path("pinned").asBoolean() ? "yes" : "no");
            });
            t.print(out);
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Evict an image (NAME:TAG or NAME@DIGEST) or, given only NAME, a whole repository from the cache.")
    static final class Rm extends Call {
        @Parameters(index = "0", paramLabel = "IMAGE")
        String image;

        @Override
        void run(AdminClient client, PrintWriter out) throws IOException, InterruptedException, AdminClient.Failure {
            String[] parts = split(image);
            String route = parts[1] == null ? "/v2/_gantry/cache/" + path(parts[0])
                    : "/v2/_gantry/cache/" + path(parts[0]) + "/manifests/" + path(parts[1]);
            JsonNode r = client.send("DELETE", route, null).body();
            if (connection.json) {
                printJson(out, r);
                return;
            }
            out.println("evicted " + r.path("repository").asText() + (r.path("tags").isEmpty() ? "" : ":" + join(r.path("tags")))
                    + ": " + r.path("manifests").size() + " manifest(s), " + r.path("blobs").asInt() + " blob(s), "
                    + Table.bytes(r.path("bytes").asLong())
                    + (r.path("keptBlobs").asInt() > 0 ? "; kept " + r.path("keptBlobs").asInt() + " blob(s) other images use" : ""));
        }
    }

    @Command(name = "pin", mixinStandardHelpOptions = true,
            description = "Pin NAME:TAG (never evicted, revalidated and re-fetched on a schedule); without an image, list the pins.")
    static final class Pin extends Call {
        @Parameters(index = "0", arity = "0..1", paramLabel = "IMAGE")
        String image;

        @Override
        void run(AdminClient client, PrintWriter out) throws IOException, InterruptedException, AdminClient.Failure {
            if (image == null) {
                JsonNode pins = client.get("/v2/_gantry/pins");
                if (connection.json) {
                    printJson(out, pins);
                    return;
                }
                Table t = new Table("IMAGE", "SOURCE", "DIGEST", "REVALIDATED", "ERROR");
                pins.path("pins").forEach(p -> t.row(p.path("image").asText(), p.path("source").asText(),
                        Table.shortDigest(text(p.path("digest"))), text(p.path("revalidatedAt")), text(p.path("error"))));
                t.print(out);
                return;
            }
            JsonNode r = client.send("PUT", "/v2/_gantry/pins/" + path(image), null).body();
            if (connection.json) {
                printJson(out, r);
                return;
            }
            out.println("pinned " + r.path("image").asText() + "; warming it: " + r.path("warm").asText());
        }
    }

    @Command(name = "unpin", mixinStandardHelpOptions = true, description = "Remove a pin made with gantry cache pin.")
    static final class Unpin extends Call {
        @Parameters(index = "0", paramLabel = "IMAGE")
        String image;

        @Override
        void run(AdminClient client, PrintWriter out) throws IOException, InterruptedException, AdminClient.Failure {
            JsonNode r = client.send("DELETE", "/v2/_gantry/pins/" + path(image), null).body();
            if (connection.json) {
                printJson(out, r);
                return;
            }
            out.println("unpinned " + r.path("image").asText());
        }
    }

    @Command(name = "warm", mixinStandardHelpOptions = true,
            description = "Fetch NAME:TAG (every platform) into the cache now; waits, printing progress, unless --no-wait.")
    static final class Warm extends Call {
        @Parameters(index = "0", paramLabel = "IMAGE")
        String image;

        @Option(names = "--no-wait", description = "Print the job and return at once.")
        boolean noWait;

        @Override
        void run(AdminClient client, PrintWriter out) throws IOException, InterruptedException, AdminClient.Failure {
            AdminClient.Answer started = client.send("POST", "/v2/_gantry/warm", Map.of("image", image));
            JsonNode job = started.body();
            String last = "";
            while (!noWait && job.path("state").asText().equals("running")) {
                if (!connection.json) {
                    String line = progress(job);
                    if (!line.equals(last)) {
                        out.println(line);
                        out.flush();
                        last = line;
                    }
                }
                Thread.sleep(500);
                job = client.get(started.location());
            }
            if (connection.json) {
                printJson(out, job);
            } else {
                out.println(progress(job));
            }
            if (job.path("state").asText().equals("failed")) {
                throw new AdminClient.Failure(job.path("image").asText() + ": " + job.path("error").asText());
            }
        }

        private static String progress(JsonNode job) {
            JsonNode blobs = job.path("blobs");
            JsonNode bytes = job.path("bytes");
            return job.path("image").asText() + ": " + job.path("state").asText() + ", " + job.path("platforms").asInt() + " platform(s), "
                    + blobs.path("done").asInt() + "/" + blobs.path("total").asInt() + " blobs, "
                    + Table.bytes(bytes.path("done").asLong()) + " of " + Table.bytes(bytes.path("total").asLong());
        }
    }

    /** {@code name[:tag|@digest]} → name, reference (null when none). */
    static String[] split(String image) {
        int at = image.indexOf('@');
        if (at > 0) {
            return new String[] {image.substring(0, at), image.substring(at + 1)};
        }
        int colon = image.lastIndexOf(':');
        if (colon > image.lastIndexOf('/')) {
            return new String[] {image.substring(0, colon), image.substring(colon + 1)};
        }
        return new String[] {image, null};
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? null : n.asText();
    }

    private static String join(JsonNode array) {
        StringBuilder s = new StringBuilder();
        array.forEach(n -> s.append(s.length() == 0 ? "" : ",").append(n.asText()));
        return s.toString();
    }
}
