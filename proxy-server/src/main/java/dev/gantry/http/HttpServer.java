package dev.gantry.http;

import dev.gantry.auth.AccessPolicy;
import dev.gantry.auth.Authenticator;
import dev.gantry.config.AuthConfig;
import dev.gantry.config.Durations;
import dev.gantry.config.ServerConfig;
import dev.gantry.hardware.HardwareCatalog;
import dev.gantry.hardware.HardwareService;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.net.NetRuntime;
import dev.gantry.registry.Registry;
import dev.gantry.registry.WarmJobs;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP front end. Knows the registry services and nothing below them.
 * Shuts down gracefully: stops accepting, answers readiness probes with 503,
 * lets responses in flight finish (up to a grace period), then closes.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

    private final NetRuntime net;
    private final RouteGuard routes;
    /** Where passwords are checked, off the event loops. */
    private final PasswordChecks passwords = new PasswordChecks();
    private final ServerEndpoints serverEndpoints;
    private final AccessLog accessLog;
    private final ExchangeRecorder recorder;
    private final SslContext ssl;
    private final Duration headerTimeout;
    private final Duration idleTimeout;
    private final ServerState state = new ServerState();
    private final ChannelGroup channels = new DefaultChannelGroup("gantry-http", GlobalEventExecutor.INSTANCE);
    private Channel listener;

    /**
     * @param ssl           TLS context, or null for plain HTTP
     * @param server        the access log, how long a request's head may take to arrive once its first byte did,
     *                      and how long a connection may go idle ({@link ServerConfig})
     * @param catalog       answers {@code /v2/_gantry/search}; null: not offered
     * @param status        renders {@code /v2/_gantry/status}
     * @param warm          the admin API's warm jobs
     */
    public HttpServer(NetRuntime net, Registry registry, ServerConfig server, SslContext ssl, GantryMetrics metrics,
                      Authenticator authenticator, AuthConfig authConfig,
                      HardwareService hardwareService, HardwareCatalog catalog, Duration waitBudget,
                      Supplier<Object> status, WarmJobs warm) {
        this.headerTimeout = server.headerTimeout();
        this.idleTimeout = server.idleTimeout();
        this.net = net;
        this.accessLog = new AccessLog(server.accessLog());
        this.recorder = new ExchangeRecorder(this.accessLog, metrics);
        this.ssl = ssl;
        // The HTTP layer's own parts: endpoints, the access gate, and the route table that joins them.
        AccessPolicy policy = new AccessPolicy(authConfig);
        AuthGate auth = new AuthGate(authenticator, policy, authConfig, ssl != null);
        RegistryEndpoints endpoints = new RegistryEndpoints(registry, metrics);
        this.serverEndpoints = new ServerEndpoints(state, metrics, status, new ConsoleAssets("console/"));
        RouteTable table = Routes.table(serverEndpoints, auth, new TokenEndpoint(authenticator, policy, authConfig, registry.resolver()),
                endpoints, new PushEndpoints(registry), new AdminEndpoints(registry.admin(), warm, auth, endpoints),
                hardwareService == null ? null : new HardwareEndpoints(hardwareService, waitBudget),
                catalog == null ? null : new SearchEndpoint(catalog, auth));
        this.routes = new RouteGuard(table, auth, endpoints, passwords);
        metrics.gauge("gantry_http_connections", "Open client connections", () -> channels.size());
        metrics.gauge("gantry_http_requests_in_flight", "Requests being answered", state::inFlight);
    }

    /** Binds and starts serving; returns the bound address (port 0 picks a free one). */
    public InetSocketAddress start(String host, int port) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(net.group())
                .channel(net.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ChannelPipeline p = ch.pipeline();
                        if (ssl != null) {
                            p.addLast("tls", ssl.newHandler(ch.alloc()));
                        } else {
                            p.addLast("tls-probe", new TlsOnPlainPort(accessLog));
                        }
                        HeaderDeadline deadline = new HeaderDeadline(headerTimeout);
                        p.addLast("head-deadline", deadline.bytes());
                        p.addLast("codec", new HttpServerCodec(8192, 16 * 1024, 64 * 1024));
                        p.addLast("head-decoded", deadline.heads());
                        p.addLast("continue", new HttpServerExpectContinueHandler());
                        p.addLast("idle", new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS));
                        p.addLast("chunked", new ChunkedWriteHandler());
                        p.addLast("registry", new RequestHandler(state, routes, recorder, ssl != null));
                    }
                });
        listener = b.bind(host, port).sync().channel();
        InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
        log.info("serving the OCI distribution API on {}://{}:{} ({} transport)", ssl != null ? "https" : "http",
                bound.getHostString(), bound.getPort(), net.nativeTransport() ? "epoll" : "nio");
        return bound;
    }

    /**
     * Drains, then closes: readiness probes answer 503 at once, responses in
     * flight get up to {@code grace} to finish, and the listener stays open
     * meanwhile, so a probe or a late request is answered (503, or served with
     * {@code Connection: close}) rather than refused. Then every connection closes.
     */
    public void shutdown(Duration grace) {
        state.drain();
        long deadline = System.nanoTime() + grace.toNanos();
        int busy = state.inFlight();
        if (listener != null) {
            log.info("shutting down: /readyz answers 503; {} response(s) in flight have up to {} to finish", busy,
                    Durations.format(grace));
        }
        // Idle keep-alive connections can go now; busy ones close after their response.
        channels.forEach(ch -> ch.eventLoop().execute(() -> {
            RequestHandler h = ch.pipeline().get(RequestHandler.class);
            if (h != null && !h.busy()) {
                ch.close();
            }
        }));
        while (state.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (state.inFlight() > 0) {
            log.warn("shutdown grace of {} over with {} responses still in flight; closing them", grace, state.inFlight());
        }
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        passwords.close();
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    /** From now on {@code /readyz} answers ready (until shutdown): called once the process is warm. */
    public void markReady() {
        state.started();
    }

    /**
     * Serves {@code /v2/_gantry/status?history=WINDOW} from {@code source}
     * (the recent samples as JSON); call before {@link #start}. Without it
     * the parameter is refused. {@code source} throws IllegalArgumentException
     * for a window it does not keep.
     */
    public void history(Function<Duration, Object> source) {
        serverEndpoints.history(source);
    }

    /**
     * Takes another replica's news ({@code POST /v2/_gantry/fleet/news}, peer channel only) into
     * {@code sink}, which throws IllegalArgumentException for news it cannot read; call before
     * {@link #start}. Without it the endpoint answers 404.
     */
    public void fleetNews(Consumer<byte[]> sink) {
        serverEndpoints.fleetNews(sink);
    }

    /** Responses being sent now. */
    public int inFlight() {
        return state.inFlight();
    }

    /** Open client connections. */
    public int connections() {
        return channels.size();
    }
}
