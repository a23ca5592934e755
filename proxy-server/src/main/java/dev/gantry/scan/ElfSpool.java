package dev.gantry.scan;

import dev.gantry.scan.tar.ScanAbort;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Brings an ELF file out of the tar stream so it can be read at random
 * with a bounded heap: a file up to {@link #IN_HEAP} bytes is read into one
 * reused heap buffer; a bigger one, up to {@link #BORROWED}, is read into a
 * heap array of its own when the scan memory budget lends its size at once
 * (given back when the view closes); otherwise it is never held on the heap
 * but spooled to a temporary file in the scan's spool directory and mapped
 * read-only (paged
 * by the OS, counted neither against the heap nor against
 * {@code MaxDirectMemorySize}). The file is deleted as soon as it is mapped
 * and the mapping is released when the view is closed.
 *
 * <p>One instance per scan; not thread-safe.
 */
final class ElfSpool {
    /**
     * Files up to this size are read into one heap buffer, reused from file to file (grown on
     * demand, never past this): nearly every ELF file of a distribution, with no file-system round
     * trip — spooling costs a third of the scan's throughput on layers of 1-16 MiB libraries.
     * Bigger files (LLVM, Intel's graphics compiler, CUDA) are spooled and mapped.
     */
    static final int IN_HEAP = 16 << 20;
    /**
     * Files up to this size are read onto the heap when the budget ({@code hardware.scanMemory}) has
     * room for them now: writing a spool file and faulting its mapping back in costs about a quarter
     * of the scan of a layer whose time goes to one 16-48 MiB program (qemu-system-x86_64, Mesa's
     * megadriver). The budget, not this size, is what bounds the heap.
     */
    static final int BORROWED = 64 << 20;

    private static final MethodHandle UNMAP = unmapper();

    private final Path dir;
    private final ScanMemory.Reservation memory;
    /** Grown on the first ELF file: a layer with none (data, scripts) allocates nothing here. */
    private byte[] small = new byte[0];

    ElfSpool(Path dir, ScanMemory.Reservation memory) {
        this.dir = dir;
        this.memory = memory;
    }

    /** The first {@code length} bytes of a file, readable at indexes {@code [0, length)}; valid until closed. */
    interface View extends AutoCloseable {
        ByteBuffer bytes();

        int length();

        @Override
        void close();
    }

    /**
     * Reads the next {@code want} bytes of the file, or as many as the stream
     * holds (a truncated archive: the view is then shorter): the first
     * {@code headLength} are in {@code head} already, the rest come from
     * {@code in} (through {@code buf}).
     *
     * @throws IOException what reading {@code in} throws (a corrupt stream keeps its own exception)
     * @throws ScanAbort of kind {@code IO} when the spool file cannot be written or mapped (a full disk
     *     is not the layer's fault)
     */
    View read(InputStream in, byte[] head, int headLength, int want, byte[] buf) throws IOException {
        if (want <= IN_HEAP) {
            if (small.length < want) {
                small = new byte[Math.min(IN_HEAP, Math.max(want, Math.max(64 << 10, small.length * 2)))];
            }
            System.arraycopy(head, 0, small, 0, headLength);
            int n = headLength + in.readNBytes(small, headLength, want - headLength);
            return new Heap(ByteBuffer.wrap(small), n, () -> { });
        }
        byte[] whole = want <= BORROWED && memory.borrow(want) ? allocate(want) : null;
        if (whole != null) {
            try {
                System.arraycopy(head, 0, whole, 0, headLength);
                int n = headLength + in.readNBytes(whole, headLength, want - headLength);
                return new Heap(ByteBuffer.wrap(whole), n, () -> memory.giveBack(want));
            } catch (IOException | RuntimeException e) {
                memory.giveBack(want);
                throw e;
            }
        }
        Path file = dir.resolve("scan-" + UUID.randomUUID() + ".elf");
        FileChannel ch = spooling(() -> {
            Files.createDirectories(dir);
            return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
        });
        try (ch) {
            writeFully(ch, ByteBuffer.wrap(head, 0, headLength));
            long n = headLength;
            while (n < want) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, want - n));
                if (r < 0) {
                    break;
                }
                writeFully(ch, ByteBuffer.wrap(buf, 0, r));
                n += r;
            }
            long size = n;
            MappedByteBuffer map = spooling(() -> ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
            return new Mapped(map, (int) n);
        } finally {
            spooling(() -> Files.deleteIfExists(file)); // the mapping outlives the name
        }
    }

    /** A lent array, or null (the loan given back) when the heap has no contiguous room for it now. */
    private byte[] allocate(int want) {
        try {
            return new byte[want];
        } catch (OutOfMemoryError e) {
            memory.giveBack(want);
            return null;
        }
    }

    private interface FileOp<T> {
        T run() throws IOException;
    }

    private <T> T spooling(FileOp<T> op) throws ScanAbort {
        try {
            return op.run();
        } catch (IOException e) {
            throw new ScanAbort("IO", "spooling a big ELF file to " + dir + " failed: " + e);
        }
    }

    private void writeFully(FileChannel ch, ByteBuffer b) throws ScanAbort {
        spooling(() -> {
            while (b.hasRemaining()) {
                ch.write(b);
            }
            return null;
        });
    }

    /** A heap view: the reused buffer (nothing to give back) or a borrowed array (its bytes go back to the budget). */
    private static final class Heap implements View {
        private final ByteBuffer bytes;
        private final int length;
        private Runnable release;

        Heap(ByteBuffer bytes, int length, Runnable release) {
            this.bytes = bytes;
            this.length = length;
            this.release = release;
        }

        @Override
        public ByteBuffer bytes() {
            return bytes;
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public void close() {
            Runnable r = release;
            release = null;
            if (r != null) {
                r.run();
            }
        }
    }

    private static final class Mapped implements View {
        private MappedByteBuffer map;
        private final int length;

        Mapped(MappedByteBuffer map, int length) {
            this.map = map;
            this.length = length;
        }

        @Override
        public ByteBuffer bytes() {
            return map;
        }

        @Override
        public int length() {
            return length;
        }

        /** Unmaps now rather than at some later GC, so the pages of big files do not pile up in the process. */
        @Override
        public void close() {
            MappedByteBuffer m = map;
            map = null;
            if (m != null && UNMAP != null) {
                try {
                    UNMAP.invokeExact((ByteBuffer) m);
                } catch (Throwable e) {
                    // left to the garbage collector, which unmaps it too
                }
            }
        }
    }

    /** {@code Unsafe.invokeCleaner}, the only way to unmap before GC on Java 17; null when unavailable. */
    private static MethodHandle unmapper() {
        try {
            Class<?> unsafe = Class.forName("sun.misc.Unsafe");
            Field f = unsafe.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return MethodHandles.lookup()
                    .findVirtual(unsafe, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
                    .bindTo(f.get(null));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
