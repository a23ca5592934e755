package dev.gantry.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A GET on a raw socket that reports exactly what arrived: the head, the body
 * bytes, and whether the connection closed before {@code Content-Length}
 * bytes came. Also lets a test read slowly, as a stalled client would.
 */
public final class RawClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private int status;
    private final Map<String, String> headers = new LinkedHashMap<>();

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 1024);
    }

    /** Sends a GET and reads the response head. */
    public static RawClient get(String hostPort, String path, int receiveBuffer) {
        try {
            String[] hp = hostPort.split(":");
            Socket s = new Socket();
            if (receiveBuffer > 0) {
                s.setReceiveBufferSize(receiveBuffer);
            }
            s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 5000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + hostPort + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            RawClient c = new RawClient(s);
            c.readHead();
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Connects without sending anything: the test writes the request, whole or in part, with {@link #write}. */
    public static RawClient connect(String hostPort) {
        try {
            String[] hp = hostPort.split(":");
            Socket s = new Socket();
            s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 5000);
            s.setSoTimeout(30_000);
            return new RawClient(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends bytes as they are. */
    public RawClient write(String raw) {
        try {
            socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for a response head (up to the socket's 30 s timeout) and reads it. */
    public RawClient awaitResponseHead() {
        try {
            headers.clear();
            readHead();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A response header, by case-insensitive name; null if absent. */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** Reads on until the server closes the connection; false if it stays open for 30 s. */
    public boolean awaitClosedByServer() {
        try {
            byte[] buf = new byte[8192];
            while (in.read(buf) >= 0) {
                // Discard the rest of the response.
            }
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    private void readHead() throws IOException {
        String statusLine = line();
        status = Integer.parseInt(statusLine.split(" ")[1]);
        for (String h = line(); !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.write(c);
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    public int status() {
        return status;
    }

    public long contentLength() {
        return Long.parseLong(headers.getOrDefault("content-length", "-1"));
    }

    /** Reads up to {@code n} body bytes; fewer if the connection closes. */
    public byte[] read(int n) {
        try {
            return in.readNBytes(n);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** Reads the rest of the body (up to Content-Length, or until the connection closes). */
    public byte[] readRest(long alreadyRead) {
        long want = contentLength() - alreadyRead;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        try {
            while (want > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, want));
                if (n < 0) {
                    break;
                }
                out.write(buf, 0, n);
                want -= n;
            }
        } catch (IOException e) {
            // Cut off: what arrived is the answer.
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closed.
        }
    }
}
