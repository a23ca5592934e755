package dev.gantry.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;

/**
 * The first bytes of a connection to a plain-HTTP port, checked for a TLS
 * handshake. skopeo, Podman and containerd try HTTPS first even for an
 * insecure registry and fall back to HTTP; their ClientHello used to reach the
 * HTTP decoder and be logged as {@code GET /bad-request 400}, which sends an
 * operator looking for a bad client. It is answered with a plain HTTP 400
 * (Go's TLS client recognises it and reports "server gave HTTP response to
 * HTTPS client"), logged as what it is, and the connection closed. Removes
 * itself after the first read either way.
 */
final class TlsOnPlainPort extends ChannelInboundHandlerAdapter {

    /** TLS record type 22: handshake. No HTTP method starts with this byte. */
    private static final byte HANDSHAKE = 0x16;
    private static final byte[] ANSWER = ("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 69\r\n"
            + "Connection: close\r\n\r\nThis port speaks plain HTTP: use http:// or mark it insecure/plain.\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    private final AccessLog accessLog;

    TlsOnPlainPort(AccessLog accessLog) {
        this.accessLog = accessLog;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ctx.pipeline().remove(this);
        if (msg instanceof ByteBuf in && in.isReadable() && in.getByte(in.readerIndex()) == HANDSHAKE) {
            long started = System.nanoTime();
            in.release();
            accessLog.record("-", "(tls-handshake-on-plain-http-port)", null, 400, ANSWER.length,
                    System.nanoTime() - started, "tls-on-plain-http", null);
            ctx.writeAndFlush(ctx.alloc().buffer(ANSWER.length).writeBytes(ANSWER)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
