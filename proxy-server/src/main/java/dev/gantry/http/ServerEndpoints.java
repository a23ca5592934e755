package dev.gantry.http;

import dev.gantry.config.Durations;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The server's own endpoints: probes ({@code /healthz}, {@code /readyz}),
 * {@code /metrics}, {@code /v2/_gantry/status} (with its history), and the
 * web console's files. None needs credentials (see {@link Routes}), except
 * the fleet's news ({@code POST /v2/_gantry/fleet/news}), which only another
 * replica of the fleet may send.
 */
final class ServerEndpoints {

    private final ServerState state;
    private final GantryMetrics metrics;
    private final Supplier<Object> status;
    private final ConsoleAssets console;
    private volatile Function<Duration, Object> history;
    private volatile Consumer<byte[]> fleetNews;

    ServerEndpoints(ServerState state, GantryMetrics metrics, Supplier<Object> status, ConsoleAssets console) {
        this.state = state;
        this.metrics = metrics;
        this.status = status;
        this.console = console;
    }

    void health(Exchange ex) {
        ex.respond(Responses.json(HttpResponseStatus.OK, Map.of("status", "ok")));
    }

    void ready(Exchange ex) {
        ex.respond(state.ready()
                ? Responses.json(HttpResponseStatus.OK, Map.of("status", "ready"))
                : Responses.json(HttpResponseStatus.SERVICE_UNAVAILABLE, Map.of("status", "not ready")));
    }

    void metrics(Exchange ex) {
        byte[] body = metrics.scrape();
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, metrics.contentType()).set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        ex.respond(r);
    }

    void status(Exchange ex) {
        String window = ex.param("history");
        ex.respond(Responses.json(HttpResponseStatus.OK, window == null ? status.get() : history(window)));
    }

    void console(Exchange ex, Route route) {
        ex.respond(console.serve(route.reference(), ex.request().headers().get(HttpHeaderNames.IF_NONE_MATCH)));
    }

    /** Where another replica's news goes; null: the endpoint answers 404. */
    void fleetNews(Consumer<byte[]> sink) {
        this.fleetNews = sink;
    }

    /** Another replica's news, in the {@code Gantry-Fleet-News} header (base64url); the sink refuses what it cannot read. */
    void fleetNews(Exchange ex) {
        Consumer<byte[]> sink = fleetNews;
        if (sink == null) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 404, "this replica takes no fleet news", Map.of(), null);
        }
        String header = ex.request().headers().get("Gantry-Fleet-News");
        try {
            sink.accept(Base64.getUrlDecoder().decode(header == null ? "" : header));
        } catch (IllegalArgumentException e) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 400, "fleet news: " + e.getMessage(), Map.of(), null);
        }
        ex.respond(Responses.json(HttpResponseStatus.OK, Map.of()));
    }

    /** Where {@code ?history=WINDOW} comes from; null: the parameter is refused. */
    void history(Function<Duration, Object> source) {
        this.history = source;
    }

    private Object history(String window) {
        Function<Duration, Object> source = history;
        if (source == null) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 404, "this server keeps no status history", Map.of(), null);
        }
        try {
            return source.apply(Durations.parse(window));
        } catch (IllegalArgumentException e) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 400, "history: " + e.getMessage(), Map.of(), null);
        }
    }
}
