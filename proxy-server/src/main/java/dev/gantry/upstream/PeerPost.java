package dev.gantry.upstream;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.BinaryOperator;

/**
 * Tells one fleet member a small piece of news on the peer channel: a
 * {@code POST /v2/_gantry/fleet/news} without a body, the news in the
 * {@value #HEADER} header (base64url, so any bytes fit a header). Completes
 * with the member's status; fails when it could not be reached.
 */
public final class PeerPost {

    /** The header that carries the news. */
    public static final String HEADER = "Gantry-Fleet-News";
    /** The peer channel's news endpoint. */
    public static final String PATH = "/v2/_gantry/fleet/news";

    private final HttpTransport transport;
    private final BinaryOperator<String> authorization;
    private final String scheme;
    private final Duration timeout;

    /** @param authorization a current peer credential ({@code Authorization} header value) for a method and request target */
    public PeerPost(HttpTransport transport, BinaryOperator<String> authorization, String scheme, Duration timeout) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.authorization = Objects.requireNonNull(authorization, "authorization");
        this.scheme = Objects.requireNonNull(scheme, "scheme");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    public CompletableFuture<Integer> post(String address, byte[] news) {
        URI uri;
        try {
            uri = URI.create(scheme + "://" + address + PATH);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        HttpHeaders headers = new DefaultHttpHeaders()
                .set(HttpHeaderNames.CONTENT_LENGTH, 0)
                .set(HEADER, Base64.getUrlEncoder().withoutPadding().encodeToString(news));
        UpstreamRequest request = new UpstreamRequest(HttpMethod.POST, uri, headers, timeout);
        headers.set(HttpHeaderNames.AUTHORIZATION, authorization.apply(HttpMethod.POST.name(), request.pathAndQuery()));
        return transport.execute(request).thenApply(r -> {
            r.discard();
            return r.status();
        });
    }
}
