package dev.gantry.registry;

import dev.gantry.content.BodyConsumer;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.UploadService.ChunkRange;
import dev.gantry.storage.SpoolWriter;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * A request body bound for an upload session ({@link LocalUploads} or
 * {@link SharedUploads}), counted against the length its {@code Content-Range}
 * declares (no range: any length) and written to a spool on a blocking thread,
 * asking for more only after each write; each chunk is released once handled.
 * A body found longer than declared is refused with {@link #tooLong()} before
 * the excess is written; subclasses decide what to do when it ends.
 */
abstract class ChunkBody implements BodyConsumer {

    private final ChunkRange range;
    private final SpoolWriter spool;
    private final Executor blocking;
    private long received;

    ChunkBody(ChunkRange range, SpoolWriter spool, Executor blocking) {
        this.range = range;
        this.spool = spool;
        this.blocking = blocking;
    }

    @Override
    public final CompletionStage<?> onData(ByteBuf chunk) {
        return CompletableFuture.runAsync(() -> {
            try {
                received += chunk.readableBytes();
                if (range != null && received > range.length()) {
                    throw tooLong();
                }
                for (ByteBuffer b : chunk.nioBuffers()) {
                    spool.write(b);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                chunk.release();
            }
        }, blocking);
    }

    /** The refusal for a body found longer than declared; runs on the blocking thread and may block. */
    abstract RuntimeException tooLong();

    /** Where the body is written. */
    final SpoolWriter spool() {
        return spool;
    }

    /** Bytes of the body received so far. */
    final long received() {
        return received;
    }

    /** Whether the body, once ended, is as long as its range declares (always, without a range). */
    final boolean asDeclared() {
        return range == null || received == range.length();
    }

    /** The {@code SIZE_INVALID} refusal of a body longer or shorter than declared. */
    final RegistryException sizeInvalid() {
        return new RegistryException(ErrorCode.SIZE_INVALID, "Content-Range " + range.start() + "-"
                + (range.start() + range.length() - 1) + " declares " + range.length() + " bytes but the body "
                + (received > range.length() ? "is longer" : "has " + received) + "; nothing was appended");
    }
}
