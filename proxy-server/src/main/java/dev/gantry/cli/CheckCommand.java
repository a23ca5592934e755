package dev.gantry.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.hardware.HostProfile;
import dev.gantry.hardware.Verdict;
import dev.gantry.schema.HardwareJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gantry check IMAGE}: the paper's hdocker. Collects this host's
 * profile, asks Gantry whether the image runs here, and prints the verdict,
 * each reason with what to do, and the exact {@code docker run} flags. Exit
 * status 0 (runs), 1 (runs degraded), 2 (will fail), 3 (could not tell).
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Tell whether an image will run on this host, and with which docker run flags.",
        // A mistyped command line, or a failure of its own, could not tell: picocli's 2 and 1 are the verdicts'.
        exitCodeOnInvalidInput = CheckCommand.COULD_NOT_TELL, exitCodeOnExecutionException = CheckCommand.COULD_NOT_TELL)
public final class CheckCommand implements Callable<Integer> {

    /** The exit status when no verdict could be had: a usage error, a Gantry that cannot be reached, a host not probed. */
    static final int COULD_NOT_TELL = 3;

    @Parameters(index = "0", arity = "0..1", paramLabel = "IMAGE", description = "The image as Gantry names it: "
            + "repository[:tag|@digest], e.g. library/alpine:3.19, docker.io/nvidia/cuda:12.2.0-runtime-ubuntu22.04, "
            + "local/app:1. Optional with --save-profile.")
    String image;

    @Option(names = "--save-profile", paramLabel = "FILE", description = "Write this host's profile (JSON) to FILE: what "
            + "--profile, the search API's POST and the console's \"runs on this host\" take.")
    Path saveProfile;

    @Option(names = "--registry", paramLabel = "URL", defaultValue = "${GANTRY_REGISTRY:-http://127.0.0.1:5000}",
            description = "Gantry's URL (default: $GANTRY_REGISTRY or ${DEFAULT-VALUE}).")
    String registry;

    @Option(names = "--profile", paramLabel = "FILE", description = "Judge against a recorded host profile (JSON) instead of this host.")
    Path profile;

    @Option(names = "--creds", paramLabel = "USER:PASSWORD", description = "Credentials for Gantry (default: $GANTRY_CREDS).",
            defaultValue = "${GANTRY_CREDS}")
    String creds;

    @Option(names = "--json", description = "Print the verdict as JSON.")
    boolean json;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300", description = "How long to wait for scans (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectMapper mapper = HardwareJson.mapper();
        if (image == null && saveProfile == null) {
            err.println("gantry check: give an IMAGE, or --save-profile FILE");
            err.flush();
            return COULD_NOT_TELL;
        }
        try {
            HostProfile host = profile != null ? mapper.readValue(profile.toFile(), HostProfile.class) : new HostProbe(Path.of("/")).probe();
            if (saveProfile != null) {
                mapper.writerWithDefaultPrettyPrinter().writeValue(saveProfile.toFile(), host);
                if (image == null) {
                    out.println("wrote this host's profile to " + saveProfile);
                    out.flush();
                    return 0;
                }
            }
            Verdict verdict = ask(mapper, host);
            if (verdict.verdict() == null) {
                throw new IllegalStateException("Gantry answered a verdict without one");
            }
            if (json) {
                out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(verdict));
            } else {
                print(out, verdict);
            }
            out.flush();
            return verdict.exitStatus();
        } catch (ConnectException e) {
            err.println("gantry check: cannot reach Gantry at " + registry + " (give --registry URL or set GANTRY_REGISTRY)");
            err.flush();
            return COULD_NOT_TELL;
        } catch (IOException | RuntimeException e) {
            err.println("gantry check: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            err.flush();
            return COULD_NOT_TELL;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return COULD_NOT_TELL;
        }
    }

    /**
     * {@code IMAGE} split into repository and reference (a tag, or a digest): {@code name:tag@digest} is the
     * digest's, as for docker; a port ({@code host:5000/app}) is no tag; no reference is {@code latest}.
     */
    static String[] nameAndReference(String image) {
        String name = image;
        String reference = "latest";
        int at = name.indexOf('@');
        if (at >= 0) {
            reference = name.substring(at + 1);
            name = name.substring(0, at);
            if (name.lastIndexOf(':') > name.lastIndexOf('/')) {
                name = name.substring(0, name.lastIndexOf(':'));
            }
        } else if (name.lastIndexOf(':') > name.lastIndexOf('/')) {
            reference = name.substring(name.lastIndexOf(':') + 1);
            name = name.substring(0, name.lastIndexOf(':'));
        }
        return new String[] {name, reference};
    }

    private Verdict ask(ObjectMapper mapper, HostProfile host) throws IOException, InterruptedException {
        String[] parts = nameAndReference(image);
        String name = parts[0];
        String reference = parts[1];
        String base = registry.endsWith("/") ? registry.substring(0, registry.length() - 1) : registry;
        URI uri = URI.create(base + "/v2/" + name + "/_gantry/check/" + reference);
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        byte[] body = mapper.writeValueAsBytes(host);
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        while (true) {
            HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (creds != null && !creds.isEmpty()) {
                req.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(creds.getBytes(StandardCharsets.UTF_8)));
            }
            HttpResponse<byte[]> r = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() == 200) {
                return mapper.readValue(r.body(), Verdict.class);
            }
            if (r.statusCode() == 202 && System.nanoTime() < deadline) {
                long wait = r.headers().firstValue("Retry-After").map(Long::parseLong).orElse(2L);
                Thread.sleep(Math.max(1, wait) * 1000);
                continue;
            }
            throw new IllegalStateException(uri + " answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
        }
    }

    private static void print(PrintWriter out, Verdict v) {
        String mark = switch (v.verdict()) {
            case Verdict.RUNS -> "runs";
            case Verdict.DEGRADED -> "runs, degraded";
            default -> "will fail";
        };
        out.println(v.image() + (v.platform() == null ? "" : " (" + v.platform() + ")") + ": " + mark);
        for (Verdict.Reason r : v.reasons()) {
            out.println("  " + r.severity() + ": " + r.message());
            if (r.advice() != null) {
                out.println("      -> " + r.advice());
            }
        }
        if (!v.verdict().equals(Verdict.WILL_FAIL)) {
            out.println("docker run " + (v.dockerRunFlags().isEmpty() ? "" : String.join(" ", v.dockerRunFlags()) + " ") + v.image());
        }
    }
}
