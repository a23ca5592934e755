package dev.gantry.http;

import dev.gantry.auth.Authenticator;
import dev.gantry.content.BodyConsumer;
import dev.gantry.content.Content;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One request: its head, query, caller and body, and the route it took.
 * Its response is the {@link ResponseWriter}'s; the {@code respond} and
 * {@code fail} methods here hand it over, so handlers deal with one object.
 * Exactly one response is sent.
 */
final class Exchange {

    private final ChannelHandlerContext ctx;
    private final HttpRequest request;
    private final QueryStringDecoder uri;
    private final long startNanos;
    private final boolean head;
    private final RequestBody requestBody;
    private final ResponseWriter response;
    private String route = "unknown";
    private Authenticator.Caller caller;
    /** Basic credentials checked ahead, off the event loop: the user, or why they were refused; both null before. */
    private volatile String basicUser;
    private volatile Authenticator.Refused basicRefused;

    /** Told when the exchange is over, on the event loop. */
    interface Listener {
        void exchangeDone(Exchange exchange, boolean keepConnection);
    }

    Exchange(ChannelHandlerContext ctx, HttpRequest request, boolean tls, ExchangeRecorder recorder, Listener listener) {
        this.ctx = ctx;
        this.request = request;
        this.uri = new QueryStringDecoder(request.uri());
        this.startNanos = System.nanoTime();
        this.head = request.method().equals(HttpMethod.HEAD);
        this.requestBody = new RequestBody(ctx, request, this::closeAfterResponse);
        this.response = new ResponseWriter(this, tls, recorder, listener);
    }

    HttpRequest request() {
        return request;
    }

    String rawPath() {
        return uri.rawPath();
    }

    /**
     * The refusal of a request URI whose percent-escapes do not decode ({@code %zz}, a lone {@code %}), in
     * its path or its query; null when every escape decodes. Checked before routing: the decoding of a
     * part would otherwise fail wherever the part is first read.
     */
    RegistryException malformedEscapes() {
        try {
            QueryStringDecoder.decodeComponent(uri.rawPath());
        } catch (IllegalArgumentException e) {
            return new RegistryException(ErrorCode.NAME_INVALID, "the path holds a malformed percent-escape");
        }
        try {
            uri.parameters();
        } catch (IllegalArgumentException e) {
            return new RegistryException(ErrorCode.UNSUPPORTED, 400, "the query holds a malformed percent-escape", Map.of(), null);
        }
        return null;
    }

    /** Every value of a query parameter, decoded. */
    List<String> params(String name) {
        List<String> values = parameters().get(name);
        return values == null ? List.of() : values;
    }

    /** The names of the query parameters given. */
    Set<String> paramNames() {
        return parameters().keySet();
    }

    /** First value of a query parameter, decoded, or null. */
    String param(String name) {
        List<String> values = parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /**
     * The query's parameters; none when they do not decode (such a request is refused before it is routed,
     * {@link #malformedEscapes}, and its refusal must not fail again where the access log reads them).
     */
    private Map<String, List<String>> parameters() {
        try {
            return uri.parameters();
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
    }

    /** The caller, once authenticated ({@link AuthGate#caller}); null before. */
    Authenticator.Caller caller() {
        return caller;
    }

    void caller(Authenticator.Caller c) {
        this.caller = c;
    }

    /** The outcome of this request's Basic credentials, checked ahead ({@link AuthGate#checkBasicAhead}). */
    void basicChecked(String user, Authenticator.Refused refused) {
        this.basicRefused = refused;
        this.basicUser = user;
    }

    /** The user the request's Basic credentials name, if checked ahead and good; null otherwise. */
    String basicUser() {
        return basicUser;
    }

    /** Why the request's Basic credentials were refused, if checked ahead and refused; null otherwise. */
    Authenticator.Refused basicRefused() {
        return basicRefused;
    }

    boolean isHead() {
        return head;
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    /** Names the route for metrics. */
    void route(String label) {
        this.route = label;
    }

    String routeLabel() {
        return route;
    }

    long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }

    // ---- request body: see RequestBody -----------------------------------------------------

    /** The request body will not arrive whole ({@link RequestBody#breakOff}). */
    void bodyBroken(RegistryException why) {
        requestBody.breakOff(why);
    }

    /** Whether the request body has stopped arriving while it was being read. */
    boolean bodyStalledByClient() {
        return requestBody.stalledByClient();
    }

    /** Takes one piece of the request body (this exchange now owns it). */
    void offerBody(HttpContent content) {
        requestBody.offer(content);
    }

    /** Streams the request body to {@code consumer}; may be called once, on any thread. */
    void readBody(BodyConsumer consumer) {
        requestBody.read(consumer);
    }

    /**
     * Reads the whole request body into memory, at most {@code max} bytes;
     * more fails with {@code SIZE_INVALID} (413) and closes the connection afterwards.
     */
    CompletableFuture<byte[]> readBodyFully(int max) {
        return requestBody.readFully(max);
    }

    /** Whether the whole request body has arrived. */
    boolean bodyComplete() {
        return requestBody.complete();
    }

    /** Drops what is left of the request body (the response is over). */
    void discardBody() {
        requestBody.discard();
    }

    // ---- the response: see ResponseWriter --------------------------------------------------

    /**
     * The upstream the request's {@code ns} parameter selected: responses
     * carry it as {@code OCI-Namespace} (distribution-spec, "Registry Proxying").
     */
    void namespace(String ns) {
        response.namespace(ns);
    }

    /** Labels the request for the access log and the {@code X-Gantry-Cache} header. */
    void outcome(String outcome, String note) {
        response.outcome(outcome, note);
    }

    /** The connection must close after this response (draining, unread request body…). */
    void closeAfterResponse() {
        response.closeAfterResponse();
    }

    /** Sends a complete response; its body is left out for HEAD. */
    void respond(FullHttpResponse full) {
        response.respond(full);
    }

    /** Sends an error response for {@code failure}. */
    void fail(Throwable failure) {
        response.fail(failure);
    }

    /** Sends {@code head} (which must carry Content-Length) and then the content, which this exchange now owns. */
    void respond(HttpResponse head, Content content) {
        response.respond(head, content);
    }

    /** Sends {@code head} (which must carry Content-Length) and then the contents of {@code parts} in turn. */
    void respond(HttpResponse head, PartSequence parts) {
        response.respond(head, parts);
    }
}
