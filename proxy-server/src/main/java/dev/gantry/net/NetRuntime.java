package dev.gantry.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The event loops and channel types shared by the server and the upstream
 * client: native epoll where available (sendfile, fewer copies), NIO
 * elsewhere. Upstream connections live on the same loops as client
 * connections, so a proxied byte never changes threads twice.
 */
public final class NetRuntime implements AutoCloseable {

    private final EventLoopGroup group;
    private final boolean epoll;

    private NetRuntime(EventLoopGroup group, boolean epoll) {
        this.group = group;
        this.epoll = epoll;
    }

    /** @param threads event-loop threads; 0 means one per core */
    public static NetRuntime create(int threads) {
        boolean epoll = Epoll.isAvailable() && !Boolean.getBoolean("gantry.nio");
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new NetRuntime(new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory("gantry-io", true), io), epoll);
    }

    public EventLoopGroup group() {
        return group;
    }

    public boolean nativeTransport() {
        return epoll;
    }

    public Class<? extends ServerSocketChannel> serverChannel() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public Class<? extends SocketChannel> socketChannel() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public Class<? extends DatagramChannel> datagramChannel() {
        return epoll ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    /** Stops the loops, waiting at most {@code timeout}. */
    public void shutdown(Duration timeout) {
        group.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS).awaitUninterruptibly(timeout.toMillis() + 1000);
    }

    @Override
    public void close() {
        shutdown(Duration.ofSeconds(2));
    }
}
