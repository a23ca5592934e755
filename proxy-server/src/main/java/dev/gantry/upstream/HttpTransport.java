package dev.gantry.upstream;

import dev.gantry.net.NetRuntime;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.AbstractChannelPoolMap;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.ChannelPoolMap;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * A small HTTP/1.1 client on Netty: pooled keep-alive connections per origin,
 * TLS with host name verification, non-blocking DNS, bodies streamed with
 * back-pressure (see {@link BodyConsumer}). A connection returns to the pool
 * only after an exchange that ended cleanly and whose body its consumer
 * accepted; one that was cut, timed out or carried a rejected body is
 * closed (see {@link ExchangeHandler}). It knows nothing of registries:
 * authentication, redirects and retries live in {@link RegistryClient}.
 *
 * <p>Thread-safe; one instance serves every upstream.
 */
public final class HttpTransport implements AutoCloseable {

    private static final String USER_AGENT = "gantry/" + version();

    private final ChannelPoolMap<Origin, FixedChannelPool> pools;
    private final AbstractChannelPoolMap<Origin, FixedChannelPool> poolMap;
    private final DnsAddressResolverGroup resolver;
    private final int maxConnectionsPerOrigin;

    /**
     * @param connectTimeout TCP plus TLS handshake budget per new connection
     * @param maxConnectionsPerOrigin pooled connections per scheme/host/port
     */
    public HttpTransport(NetRuntime net, Duration connectTimeout, int maxConnectionsPerOrigin) {
        this.maxConnectionsPerOrigin = maxConnectionsPerOrigin;
        SslContext ssl;
        try {
            ssl = SslContextBuilder.forClient().build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build a TLS client context", e);
        }
        this.resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(net.datagramChannel())
                .nameServerProvider(DnsServerAddressStreamProviders.platformDefault()));
        Bootstrap base = new Bootstrap()
                .group(net.group())
                .channel(net.socketChannel())
                .resolver(resolver)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
        this.poolMap = new AbstractChannelPoolMap<>() {
            @Override
            protected FixedChannelPool newPool(Origin origin) {
                Bootstrap b = base.clone().remoteAddress(origin.host(), origin.port());
                return new FixedChannelPool(b, new PoolHandler(origin, origin.tls() ? ssl : null), ChannelHealthChecker.ACTIVE,
                        FixedChannelPool.AcquireTimeoutAction.FAIL, connectTimeout.toMillis() * 3,
                        maxConnectionsPerOrigin, 10_000, true, true);
            }
        };
        this.pools = poolMap;
    }

    /**
     * Sends a request and completes with the response head once it arrives;
     * the body must then be consumed (see {@link UpstreamResponse}). Fails with
     * {@link UpstreamException} when no response head arrives.
     */
    public CompletableFuture<UpstreamResponse> execute(UpstreamRequest request) {
        URI uri = request.uri();
        Origin origin = Origin.of(uri);
        FixedChannelPool pool = pools.get(origin);
        CompletableFuture<UpstreamResponse> result = new CompletableFuture<>();
        pool.acquire().addListener((Future<Channel> acquired) -> {
            if (!acquired.isSuccess()) {
                result.completeExceptionally(connectFailure(uri, acquired.cause()));
                return;
            }
            Channel ch = acquired.getNow();
            ExchangeHandler exchange = new ExchangeHandler(pool, ch, uri, request.method().equals(io.netty.handler.codec.http.HttpMethod.HEAD), request.readTimeout(), result);
            try {
                ch.pipeline().addLast(ExchangeHandler.NAME, exchange);
            } catch (RuntimeException e) {
                // Whatever went wrong, the caller hears of it and the connection is not lent again.
                ch.close();
                pool.release(ch);
                result.completeExceptionally(new UpstreamException(UpstreamException.Kind.CLOSED,
                        "cannot use a connection to " + origin + ": " + e, e));
                return;
            }
            FullHttpRequest msg = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.pathAndQuery());
            msg.headers().set(request.headers());
            msg.headers().set(HttpHeaderNames.HOST, origin.hostHeader());
            msg.headers().set(HttpHeaderNames.USER_AGENT, USER_AGENT);
            msg.headers().set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
            ch.writeAndFlush(msg).addListener(written -> {
                if (written.isSuccess()) {
                    exchange.start();
                } else {
                    exchange.fail(new UpstreamException(UpstreamException.Kind.CLOSED,
                            "cannot send to " + origin + ": " + written.cause(), written.cause()));
                }
            });
        });
        return result;
    }

    /**
     * Opens connections to the origin of {@code uri} ahead of requests known
     * to follow, so that they do not each pay a TCP (and TLS) handshake: the
     * pool ends up with at least {@code n} idle connections, never more than
     * it has room for beside those in use. No request is sent. Completes with
     * the number of connections the pool held for it (idle ones included);
     * a connection that fails is left out, never reported as an error.
     */
    public CompletableFuture<Integer> preconnect(URI uri, int n) {
        FixedChannelPool pool = pools.get(Origin.of(uri));
        int wanted = Math.min(n, maxConnectionsPerOrigin - pool.acquiredChannelCount());
        if (wanted <= 0) {
            return CompletableFuture.completedFuture(0);
        }
        // Hold every channel until all are acquired: releasing one at once would hand it straight back.
        List<Channel> held = new ArrayList<>(wanted);
        CompletableFuture<Integer> done = new CompletableFuture<>();
        AtomicInteger pending = new AtomicInteger(wanted);
        for (int i = 0; i < wanted; i++) {
            pool.acquire().addListener((Future<Channel> acquired) -> {
                if (acquired.isSuccess()) {
                    synchronized (held) {
                        held.add(acquired.getNow());
                    }
                }
                if (pending.decrementAndGet() == 0) {
                    synchronized (held) {
                        held.forEach(pool::release);
                        done.complete(held.size());
                    }
                }
            });
        }
        return done;
    }

    private static UpstreamException connectFailure(URI uri, Throwable cause) {
        UpstreamException.Kind kind = cause instanceof TimeoutException
                || (cause instanceof ConnectException && String.valueOf(cause.getMessage()).contains("timed out"))
                || cause instanceof io.netty.channel.ConnectTimeoutException
                ? UpstreamException.Kind.TIMEOUT : UpstreamException.Kind.CONNECT;
        return new UpstreamException(kind, "cannot connect to " + Origin.of(uri) + ": " + cause.getMessage(), cause, true);
    }

    @Override
    public void close() {
        poolMap.close();
        resolver.close();
    }

    private static String version() {
        String v = HttpTransport.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Scheme, host and port: what a pooled connection is good for. */
    record Origin(boolean tls, String host, int port) {
        static Origin of(URI uri) {
            boolean tls = "https".equalsIgnoreCase(uri.getScheme());
            int port = uri.getPort() > 0 ? uri.getPort() : (tls ? 443 : 80);
            return new Origin(tls, uri.getHost(), port);
        }

        String hostHeader() {
            boolean defaultPort = port == (tls ? 443 : 80);
            String h = host.contains(":") ? "[" + host + "]" : host;
            return defaultPort ? h : h + ":" + port;
        }

        @Override
        public String toString() {
            return (tls ? "https://" : "http://") + hostHeader();
        }
    }

    /** Builds the pipeline of each new pooled connection. */
    private static final class PoolHandler extends AbstractChannelPoolHandler {
        private final Origin origin;
        private final SslContext ssl;

        PoolHandler(Origin origin, SslContext ssl) {
            this.origin = origin;
            this.ssl = ssl;
        }

        @Override
        public void channelCreated(Channel ch) {
            ChannelPipeline p = ch.pipeline();
            if (ssl != null) {
                SslHandler handler = ssl.newHandler(ch.alloc(), origin.host(), origin.port());
                SSLEngine engine = handler.engine();
                SSLParameters params = engine.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                engine.setSSLParameters(params);
                p.addLast("tls", handler);
            }
            p.addLast("codec", new HttpClientCodec(4096, 16 * 1024, 64 * 1024));
        }

        @Override
        public void channelReleased(Channel ch) {
            if (ch.pipeline().get(ExchangeHandler.NAME) != null) {
                ch.pipeline().remove(ExchangeHandler.NAME);
            }
        }
    }
}
