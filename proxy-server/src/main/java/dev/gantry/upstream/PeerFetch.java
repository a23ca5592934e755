package dev.gantry.upstream;

import dev.gantry.oci.Digest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Fetches a blob or manifest from the fleet member that owns it, over the
 * peer channel ({@code /v2/_gantry/fleet/<repository>/blobs/<digest>?ns=<upstream>},
 * and {@code .../manifests/<reference>}), instead of from the upstream. The
 * owner serves it from its own single fill, so the upstream sees one fetch
 * fleet-wide, and its bytes stream through as the owner receives them.
 *
 * <p>Each call completes with null when this replica owns the key itself
 * (or has no fleet), and fails when the owner could not be asked or did not
 * answer 200: the caller then goes to the upstream itself, so a dead owner
 * costs a retry, not a failed pull. Peer requests are not upstream requests:
 * they are not counted, rate-limited or retried here.
 */
public final class PeerFetch {

    /** Who owns what, as this replica sees the fleet, and how it proves to a peer that it belongs. */
    public interface Directory {
        /** {@code host:port} of the member that owns {@code key}; null when this replica does. */
        String ownerOf(String key);

        /** A current {@code Authorization} header value for one request on the peer channel. */
        String authorization(String method, String target);

        /** The owner at {@code owner} could not be reached: ask another for a while. */
        void unreachable(String owner);
    }

    private final HttpTransport transport;
    private final Directory directory;
    private final String scheme;

    /** @param scheme {@code http} or {@code https}: what the replicas listen on */
    public PeerFetch(HttpTransport transport, Directory directory, String scheme) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.scheme = Objects.requireNonNull(scheme, "scheme");
    }

    /** The key a blob is owned by: its digest, whatever repository names it. */
    public static String blobKey(Digest digest) {
        return "blob " + digest;
    }

    /** The key a manifest is owned by: upstream, repository and tag or digest (a tag's revalidation stays with one owner). */
    public static String manifestKey(Upstream up, String repository, String reference) {
        return "manifest " + up.name() + "/" + repository + ":" + reference;
    }

    /**
     * The header that tells the owner a blob is a layer of this media type
     * (a manifest this replica served named it so): the owner, which fetches
     * it from the upstream, then scans it, though it never saw the manifest
     * (the peer channel's blob endpoint, in {@code http}, reads it).
     */
    public static final String LAYER_TYPE = "Gantry-Layer-Type";

    /**
     * The header of a manifest served stale (its upstream could not be asked) and why; the owner's answer on
     * the peer channel carries it as its answer to a client does, and the asker then serves it stale too.
     */
    public static final String STALE = "X-Gantry-Stale";

    /**
     * The blob's 200 response from its owner (the caller consumes the body); null when this replica owns it.
     *
     * @param layerType the blob's media type if this replica knows it is a layer, else null
     */
    CompletableFuture<UpstreamResponse> blob(Upstream up, String repository, Digest digest, String layerType) {
        HttpHeaders extra = null;
        if (layerType != null) {
            extra = new DefaultHttpHeaders();
            extra.set(LAYER_TYPE, layerType);
        }
        return get(blobKey(digest), up, repository + "/blobs/" + digest, extra);
    }

    /** The manifest's 200 response from its owner (the caller consumes the body); null when this replica owns it. */
    CompletableFuture<UpstreamResponse> manifest(Upstream up, String repository, String reference, HttpHeaders accept) {
        return get(manifestKey(up, repository, reference), up, repository + "/manifests/" + reference, accept);
    }

    /**
     * Asks the owner; when it cannot be reached (a replica killed, its record not yet expired), asks
     * the owner among the others once, as every replica that found it unreachable does.
     */
    private CompletableFuture<UpstreamResponse> get(String key, Upstream up, String path, HttpHeaders extra) {
        String owner = directory.ownerOf(key);
        return ask(owner, up, path, extra).handle((r, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(r);
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (!(cause instanceof UpstreamException u) || !(u.whileConnecting() || u.kind() == UpstreamException.Kind.CLOSED)) {
                // An answer, or an owner that is there but slow (waiting on its own upstream past the read timeout):
                // the caller asks the upstream this once, and the owner keeps its keys.
                return CompletableFuture.<UpstreamResponse>failedFuture(cause);
            }
            directory.unreachable(owner);
            String next = directory.ownerOf(key);
            // next: another survivor, or null (this replica owns it now: the caller asks the upstream).
            return owner.equals(next) ? CompletableFuture.<UpstreamResponse>failedFuture(cause) : ask(next, up, path, extra);
        }).thenCompose(f -> f);
    }

    private CompletableFuture<UpstreamResponse> ask(String owner, Upstream up, String path, HttpHeaders extra) {
        if (owner == null) {
            return CompletableFuture.completedFuture(null);
        }
        URI uri;
        try {
            uri = URI.create(scheme + "://" + owner + "/v2/_gantry/fleet/" + path + "?ns="
                    + URLEncoder.encode(up.name(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new UpstreamException(UpstreamException.Kind.PROTOCOL,
                    "fleet member address '" + owner + "' is not a host:port", e));
        }
        HttpHeaders headers = extra == null ? new DefaultHttpHeaders() : extra.copy();
        UpstreamRequest request = new UpstreamRequest(HttpMethod.GET, uri, headers, up.readTimeout());
        headers.set(HttpHeaderNames.AUTHORIZATION, directory.authorization(HttpMethod.GET.name(), request.pathAndQuery()));
        return transport.execute(request).thenCompose(r -> {
            if (r.status() == 200) {
                return CompletableFuture.completedFuture(r.fromFleetPeer());
            }
            r.discard();
            // A 429 is the upstream's, relayed: its wait reached this replica before the answer did.
            return CompletableFuture.failedFuture(new UpstreamStatusException(r.status(), r.status() == 429
                    ? up.name() + " asked the fleet to wait (answered by fleet member " + owner + ")"
                    : "fleet member " + owner + " answered HTTP " + r.status(), up.rateLimit().retryAfter()));
        });
    }
}
