package dev.gantry.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.MediaTypes;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distribution API calls Gantry makes upstream, as typed results. Any
 * status other than the expected one fails the future with
 * {@link UpstreamStatusException} carrying the upstream's own error message;
 * transport failures fail it with {@link UpstreamException}.
 */
public final class UpstreamRegistry {

    private static final Logger log = LoggerFactory.getLogger(UpstreamRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACCEPT_MANIFESTS = String.join(", ", MediaTypes.MANIFEST_TYPES);

    /** A manifest's identity as a HEAD reports it. {@code digest} is null if the upstream did not say. */
    public record ManifestHead(Digest digest, String mediaType, long size) {
    }

    /**
     * A manifest's bytes and what the upstream said about them.
     *
     * @param viaFleetPeer whether the fleet member that owns it sent it ({@link UpstreamResponse#viaFleetPeer}):
     *                     that member recorded it, its links and its tag in the shared tier
     * @param staleReason why the owner served it stale (its upstream could not be asked), or null: not a check
     *                    of the tag, so the tag is checked again at the next request
     */
    public record FetchedManifest(byte[] body, String mediaType, Digest digestHeader, boolean viaFleetPeer,
                                  String staleReason) {
        public FetchedManifest(byte[] body, String mediaType, Digest digestHeader) {
            this(body, mediaType, digestHeader, false, null);
        }
    }

    /** One page of a tags list; {@code next} is the {@code last} value of the next page, or null. */
    public record TagPage(List<String> tags, String next) {
    }

    private final RegistryClient client;
    private final PeerFetch peers;

    public UpstreamRegistry(RegistryClient client) {
        this(client, null);
    }

    private UpstreamRegistry(RegistryClient client, PeerFetch peers) {
        this.client = Objects.requireNonNull(client, "client");
        this.peers = peers;
    }

    /**
     * These calls, with blob and manifest GETs that may ask a peer going first
     * to the fleet member that owns them ({@link PeerFetch}); when the owner
     * cannot answer, to the upstream. A 429 the owner relays is final: the
     * upstream said it, and asking it again would only spend the budget.
     */
    public UpstreamRegistry askingPeers(PeerFetch peerFetch) {
        return new UpstreamRegistry(client, Objects.requireNonNull(peerFetch, "peerFetch"));
    }

    /** {@code call}, or first {@code peer} when {@code askPeer} and a peer owns the key. */
    private <T> CompletableFuture<T> viaOwner(Upstream up, boolean askPeer, Supplier<CompletableFuture<T>> peer,
                                              Supplier<CompletableFuture<T>> call) {
        if (!askPeer || peers == null || up.rateLimit().backingOff()) {
            // While the upstream asks the fleet to wait, the owner would only relay the same 429.
            return call.get();
        }
        return peer.get().handle((fromPeer, error) -> {
            if (error == null) {
                return fromPeer == null ? call.get() : CompletableFuture.completedFuture(fromPeer);
            }
            if (relayedRateLimit(error)) {
                return CompletableFuture.<T>failedFuture(error);
            }
            log.debug("fleet owner could not serve; asking the upstream: {}", error.toString());
            return call.get();
        }).thenCompose(f -> f);
    }

    private static boolean relayedRateLimit(Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        return cause instanceof UpstreamStatusException s && s.status() == 429;
    }

    /** Warms the connection pool to the upstream: blob fetches are about to follow. */
    public CompletableFuture<Integer> preconnect(Upstream up, int connections) {
        return client.preconnect(up, connections);
    }

    public CompletableFuture<ManifestHead> headManifest(Upstream up, String repository, String reference) {
        return client.call(up, RequestKind.MANIFEST_HEAD, HttpMethod.HEAD, manifestPath(repository, reference), repository, accept())
                .thenCompose(r -> {
                    if (r.status() != 200) {
                        return failure(up, r);
                    }
                    r.discard();
                    String digest = r.headers().get("Docker-Content-Digest");
                    Digest d = digest != null && Digest.isDigest(digest) ? Digest.parse(digest) : null;
                    return CompletableFuture.completedFuture(new ManifestHead(d, contentType(r), r.contentLength()));
                });
    }

    /** GETs a manifest, refusing bodies over {@link Manifest#MAX_BYTES}. */
    public CompletableFuture<FetchedManifest> getManifest(Upstream up, String repository, String reference) {
        return getManifest(up, repository, reference, true);
    }

    /** {@link #getManifest(Upstream, String, String)}, from its fleet owner first when {@code askPeer}. */
    public CompletableFuture<FetchedManifest> getManifest(Upstream up, String repository, String reference, boolean askPeer) {
        return viaOwner(up, askPeer,
                () -> peers.manifest(up, repository, reference, accept()).thenCompose(r -> r == null
                        ? CompletableFuture.<FetchedManifest>completedFuture(null) : manifest(up, r)),
                () -> client.call(up, RequestKind.MANIFEST_GET, HttpMethod.GET, manifestPath(repository, reference), repository, accept())
                        .thenCompose(r -> manifest(up, r)));
    }

    private static CompletableFuture<FetchedManifest> manifest(Upstream up, UpstreamResponse r) {
        if (r.status() != 200) {
            return failure(up, r);
        }
        String digest = r.headers().get("Docker-Content-Digest");
        Digest d = digest != null && Digest.isDigest(digest) ? Digest.parse(digest) : null;
        String type = contentType(r);
        String stale = r.viaFleetPeer() ? r.headers().get(PeerFetch.STALE) : null;
        return r.aggregate(Manifest.MAX_BYTES).thenApply(body -> new FetchedManifest(body, type, d, r.viaFleetPeer(), stale));
    }

    /** GETs a blob; the caller consumes the body of the 200 response. */
    public CompletableFuture<UpstreamResponse> getBlob(Upstream up, String repository, Digest digest) {
        return getBlob(up, repository, digest, true, null);
    }

    /**
     * {@link #getBlob(Upstream, String, Digest)}, from its fleet owner first when {@code askPeer};
     * {@code layerType}: the blob's media type when it is known to be a layer, which the fleet owner
     * is told (so that it scans it), else null.
     */
    public CompletableFuture<UpstreamResponse> getBlob(Upstream up, String repository, Digest digest, boolean askPeer,
                                                       String layerType) {
        return viaOwner(up, askPeer, () -> peers.blob(up, repository, digest, layerType),
                () -> client.call(up, RequestKind.BLOB_GET, HttpMethod.GET, blobPath(repository, digest), repository, null)
                        .thenCompose(r -> r.status() == 200 ? CompletableFuture.completedFuture(r) : failure(up, r)));
    }

    /** HEADs a blob: completes with its size (-1 if not reported). */
    public CompletableFuture<Long> headBlob(Upstream up, String repository, Digest digest) {
        return client.call(up, RequestKind.BLOB_HEAD, HttpMethod.HEAD, blobPath(repository, digest), repository, null)
                .thenCompose(r -> {
                    if (r.status() != 200) {
                        return failure(up, r);
                    }
                    r.discard();
                    return CompletableFuture.completedFuture(r.contentLength());
                });
    }

    /**
     * The upstream's referrers index for a digest (OCI 1.1). Fails with
     * {@link UpstreamStatusException} 404 when the upstream has no referrers API.
     */
    public CompletableFuture<byte[]> referrers(Upstream up, String repository, Digest subject) {
        HttpHeaders accept = new DefaultHttpHeaders().set(HttpHeaderNames.ACCEPT, MediaTypes.OCI_INDEX);
        return client.call(up, RequestKind.REFERRERS, HttpMethod.GET, "/v2/" + repository + "/referrers/" + subject, repository, accept)
                .thenCompose(r -> r.status() == 200 ? r.aggregate(Manifest.MAX_BYTES) : failure(up, r));
    }

    /** One page of the repository's tags. */
    public CompletableFuture<TagPage> listTags(Upstream up, String repository, Integer n, String last) {
        StringBuilder path = new StringBuilder("/v2/").append(repository).append("/tags/list");
        char sep = '?';
        if (n != null) {
            path.append(sep).append("n=").append(n);
            sep = '&';
        }
        if (last != null) {
            path.append(sep).append("last=").append(URLEncoder.encode(last, StandardCharsets.UTF_8));
        }
        return client.call(up, RequestKind.TAGS, HttpMethod.GET, path.toString(), repository, null)
                .thenCompose(r -> {
                    if (r.status() != 200) {
                        return failure(up, r);
                    }
                    String link = r.headers().get("Link");
                    return r.aggregate(16 * 1024 * 1024).thenApply(body -> parseTags(up, body, link));
                });
    }

    private static TagPage parseTags(Upstream up, byte[] body, String link) {
        try {
            JsonNode tags = JSON.readTree(body).path("tags");
            List<String> out = new ArrayList<>();
            for (JsonNode t : tags) {
                out.add(t.asText());
            }
            return new TagPage(out, nextLast(link));
        } catch (IOException e) {
            throw new UpstreamException(UpstreamException.Kind.PROTOCOL, up.name() + " sent a tags list that is not JSON", e);
        }
    }

    /** The {@code last} parameter of a {@code Link: </v2/...?n=..&last=x>; rel="next"} header. */
    static String nextLast(String link) {
        if (link == null || !link.contains("rel=\"next\"")) {
            return null;
        }
        int at = link.indexOf("last=");
        if (at < 0) {
            return null;
        }
        int end = at + 5;
        while (end < link.length() && link.charAt(end) != '&' && link.charAt(end) != '>') {
            end++;
        }
        return URLDecoder.decode(link.substring(at + 5, end), StandardCharsets.UTF_8);
    }

    /**
     * Reads a small error body and fails with the upstream's status and message.
     */
    private static <T> CompletableFuture<T> failure(Upstream up, UpstreamResponse r) {
        int status = r.status();
        long length = r.bodyless() ? 0 : r.contentLength();
        CompletableFuture<byte[]> body = length > 64 * 1024 || length < 0
                ? abort(r) : r.aggregate(64 * 1024).exceptionally(e -> new byte[0]);
        return body.thenCompose(bytes -> CompletableFuture.failedFuture(new UpstreamStatusException(status,
                up.name() + " answered HTTP " + status + errorText(bytes), up.rateLimit().retryAfter())));
    }

    private static CompletableFuture<byte[]> abort(UpstreamResponse r) {
        r.discard();
        return CompletableFuture.completedFuture(new byte[0]);
    }

    private static String errorText(byte[] body) {
        try {
            JsonNode first = JSON.readTree(body).path("errors").path(0);
            String code = first.path("code").asText("");
            String message = first.path("message").asText("");
            if (code.isEmpty() && message.isEmpty()) {
                return "";
            }
            String text = (code + " " + message).trim();
            return ": " + (text.length() > 200 ? text.substring(0, 200) : text);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static HttpHeaders accept() {
        return new DefaultHttpHeaders().set(HttpHeaderNames.ACCEPT, ACCEPT_MANIFESTS);
    }

    private static String contentType(UpstreamResponse r) {
        String type = r.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (type == null) {
            return null;
        }
        int semi = type.indexOf(';');
        return (semi < 0 ? type : type.substring(0, semi)).trim();
    }

    private static String manifestPath(String repository, String reference) {
        return "/v2/" + repository + "/manifests/" + reference;
    }

    private static String blobPath(String repository, Digest digest) {
        return "/v2/" + repository + "/blobs/" + digest;
    }
}
