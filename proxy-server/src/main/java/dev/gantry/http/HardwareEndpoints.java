package dev.gantry.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.hardware.HardwareService;
import dev.gantry.hardware.HostProfile;
import dev.gantry.hardware.LayerScans;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Platform;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.Repository;
import dev.gantry.schema.HardwareJson;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code _gantry} extension (OCI extension style, advertised at
 * {@code /v2/_oci/ext/discover}): hardware documents, the augmented manifest
 * view, and the hardware-aware check; their methods and access ({@code pull}
 * on the repository) are rows of the {@link RouteTable}. An answer that
 * needs scans longer than the wait budget is 202 with {@code Retry-After};
 * the work goes on.
 */
final class HardwareEndpoints {

    static final String DOCUMENT_TYPE = "application/vnd.gantry.hardware.v1+json";
    static final String LIST_TYPE = "application/vnd.gantry.hardware.list.v1+json";
    static final String VERDICT_TYPE = "application/vnd.gantry.check.v1+json";
    private static final ObjectMapper JSON = HardwareJson.mapper();

    private final HardwareService hardware;
    private final Duration waitBudget;

    HardwareEndpoints(HardwareService hardware, Duration waitBudget) {
        this.hardware = hardware;
        this.waitBudget = waitBudget;
    }

    /** The extensions this registry offers, in the OCI extension discovery format. */
    static Map<String, Object> discovery() {
        return Map.of("extensions", List.of(Map.of(
                "name", "_gantry",
                "description", "What an image needs from its host (CPU features, GPUs and accelerators, devices, volumes), "
                        + "without pulling it; the augmented manifest view; a hardware-aware check",
                "url", "https://gantry.dev/extensions/gantry",
                "endpoints", List.of("_gantry/hardware", "_gantry/manifests", "_gantry/check", "_gantry/search"))));
    }

    /** {@code GET /v2/<name>/_gantry/hardware/<reference>[?platform=]}: one document, or one per platform. */
    void documents(Exchange ex, Repository repo, Reference reference) {
        Platform platform = platform(ex.param("platform"));
        answer(ex, hardware.documents(repo, reference, platform).thenApply(docs -> {
            // One document for one platform (an image manifest, or an index narrowed by ?platform), else a list.
            boolean one = docs.size() == 1 && (platform != null || !hardware.wasIndex(docs));
            Object body = one ? docs.get(0).document() : docs.stream().map(HardwareService.PlatformDocument::document).toList();
            return bytes(HttpResponseStatus.OK, one ? DOCUMENT_TYPE : LIST_TYPE, write(body));
        }));
    }

    /** {@code GET /v2/<name>/_gantry/manifests/<reference>}: the augmented view (never the manifest's bytes). */
    void augmented(Exchange ex, Repository repo, Reference reference) {
        answer(ex, hardware.augmented(repo, reference).thenApply(view -> {
            FullHttpResponse r = bytes(HttpResponseStatus.OK, HardwareService.augmentedMediaType(), view);
            r.headers().set("X-Gantry-View", "augmented; not the manifest, whose bytes and digest are unchanged");
            return r;
        }));
    }

    /** {@code POST /v2/<name>/_gantry/check/<reference>} with a host profile: the verdict. */
    void check(Exchange ex, Repository repo, Reference reference) {
        answer(ex, ex.readBodyFully(256 * 1024)
                .thenApply(HardwareEndpoints::hostProfile)
                .thenCompose(host -> hardware.check(repo, reference, host))
                .thenApply(verdict -> bytes(HttpResponseStatus.OK, VERDICT_TYPE, write(verdict))));
    }

    /** Sends the answer if it comes within the wait budget, else 202 with Retry-After (the work continues). */
    private void answer(Exchange ex, CompletableFuture<FullHttpResponse> work) {
        work.orTimeout(waitBudget.toMillis(), TimeUnit.MILLISECONDS).whenComplete((r, e) -> {
            if (e == null) {
                ex.respond(r);
                return;
            }
            Throwable cause = ErrorResponses.cause(e);
            if (cause instanceof TimeoutException || cause instanceof LayerScans.ScannerBusyException) {
                FullHttpResponse accepted = Responses.json(HttpResponseStatus.ACCEPTED,
                        Map.of("status", "scanning", "message", "the image's layers are being fetched and scanned; ask again"));
                accepted.headers().set(HttpHeaderNames.RETRY_AFTER, "2");
                ex.respond(accepted);
                return;
            }
            ex.fail(e);
        });
    }

    static HostProfile hostProfile(byte[] body) {
        try {
            return JSON.readValue(body, HostProfile.class);
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 400, "the body must be a host profile in JSON "
                    + "({\"architecture\":\"x86_64\",\"cpuFlags\":[...],\"devices\":[...],...})", Map.of(), null);
        }
    }

    private static Platform platform(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Platform.parse(text);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 400, "platform must be os/arch[/variant], e.g. linux/arm64", Map.of(), null);
        }
    }

    private static byte[] write(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FullHttpResponse bytes(HttpResponseStatus status, String type, byte[] body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type).set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return r;
    }
}
