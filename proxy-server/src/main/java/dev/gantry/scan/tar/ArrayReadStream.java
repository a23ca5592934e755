package dev.gantry.scan.tar;

import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream whose single-byte {@link #read()} goes through
 * {@link #read(byte[], int, int)}, so that a subclass counting or checking
 * bytes there sees every byte, however it is read.
 */
abstract class ArrayReadStream extends InputStream {

    @Override
    public final int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;
}
