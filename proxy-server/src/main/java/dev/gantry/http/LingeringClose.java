package dev.gantry.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Closing a connection whose request body is still arriving, without losing
 * the response just sent (RFC 9112 §9.6, nginx's {@code lingering_close}).
 * A plain close with unread bytes in the socket makes the kernel answer with
 * a reset, and a reset discards what the client had not read yet: a client
 * PUTting 5 MB that was refused with 401 before its body was read saw no
 * response at all ("header parser received no bytes") instead of the 401 and
 * its challenge. So: send FIN after the response, read and drop whatever
 * still comes, and close when the client closes or after {@link #LINGER_MILLIS}.
 */
final class LingeringClose {

    static final long LINGER_MILLIS = 2_000;

    private LingeringClose() {
    }

    /** Closes {@code ctx}'s connection once the response written so far has gone out. */
    static void close(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        if (!(ch instanceof DuplexChannel duplex) || !ch.isActive()) {
            ctx.close();
            return;
        }
        ch.pipeline().addFirst("lingering-close", new Discard());
        ch.config().setAutoRead(true);
        // The FIN follows everything already written: flush first, then half-close.
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> duplex.shutdownOutput());
        ch.eventLoop().schedule(() -> ch.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Drops every byte the client still sends; the client's own close ends the connection. */
    private static final class Discard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
